/**
 * The loopback GitHub's webhooks: each change it makes is delivered to the hooks that watch its repository (a
 * repository's hook, its organization's, or the GitHub App's), signed as GitHub signs (`X-Hub-Signature-256`, the
 * HMAC-SHA256 of the body with the hook's secret), under the event's `X-GitHub-Delivery` GUID. Every attempt is recorded
 * per hook and listed as GitHub's REST API lists them (newest first, `cursor` paging through the Link header), and a
 * failed one can be redelivered (`POST .../deliveries/{id}/attempts`, 202): a new attempt with the same GUID and body.
 * GitHub never redelivers by itself, and neither does this server
 * (docs.github.com/webhooks/using-webhooks/handling-failed-webhook-deliveries).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/** Which repositories a hook watches: one repository, an organization's, or those of the app's installations. */
export type HookTarget = { readonly repository: string } | { readonly org: string } | { readonly app: true };

export interface FakeHook {
  readonly id: number;
  /** The payload URL. */
  readonly url: string;
  readonly secret: string;
  readonly target: HookTarget;
}

/** One attempt to deliver an event to a hook, as GitHub records it. */
export interface HookDelivery {
  readonly id: number;
  readonly hookId: number;
  readonly guid: string;
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  readonly durationSeconds: number;
  /** `OK`, `Invalid HTTP Response: 503`, `failed to connect` or `timed out`, as GitHub words them. */
  readonly status: string;
  /** The endpoint's status code; 0 when it did not answer. */
  readonly statusCode: number;
  readonly event: string;
  readonly action: string | null;
  readonly repositoryId: number;
  readonly installationId: number | null;
  /** The body sent, kept for a redelivery. */
  readonly body: string;
}

/** An event to deliver: its name, its payload, and the repository and installation it is about. */
export interface HookEvent {
  readonly event: string;
  readonly payload: { readonly action?: string } & Record<string, unknown>;
  readonly repository: { readonly id: number; readonly fullName: string };
  /** The app installation that sees the repository, when there is an app. */
  readonly installationId?: number;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How long GitHub waits for the endpoint's answer (docs.github.com/webhooks/using-webhooks/best-practices-for-using-webhooks). */
const DELIVERY_TIMEOUT_MS = 10_000;
const NOT_FOUND: Reply = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };

export class GitHubHooks {
  private readonly hooks = new Map<number, FakeHook>();
  /** Every attempt, oldest first; ids grow as GitHub's do. */
  readonly deliveries: HookDelivery[] = [];
  /** Redelivery requests received (POST .../attempts), by the delivery id asked for. */
  readonly redeliveryRequests: number[] = [];
  private nextDeliveryId = 10_000;
  /** Attempts still to fail as if the endpoint could not be reached, per hook. */
  private readonly outages = new Map<number, number>();
  private inFlight: Promise<unknown> = Promise.resolve();

  add(hook: FakeHook): void {
    this.hooks.set(hook.id, hook);
  }

  /** A repository's hooks belong to it: after a rename or transfer they watch its new name. */
  followRename(from: string, to: string): void {
    for (const hook of this.hooks.values()) {
      if ('repository' in hook.target && sameName(hook.target.repository, from))
        this.hooks.set(hook.id, { ...hook, target: { repository: to } });
    }
  }

  /** The next `count` attempts to this hook fail to connect (the endpoint is down), and are recorded so. */
  failNext(hookId: number, count = 1): void {
    this.outages.set(hookId, (this.outages.get(hookId) ?? 0) + count);
  }

  /** Resolves once every delivery and redelivery started so far has been answered. */
  async settled(): Promise<void> {
    let current: Promise<unknown>;
    do {
      current = this.inFlight;
      await current;
    } while (current !== this.inFlight);
  }

  /**
   * Delivers an event to every hook that watches its repository, under one GUID (GitHub's is the event's, shared by
   * every hook's delivery of it); resolves with the attempts.
   */
  deliver(event: HookEvent): Promise<HookDelivery[]> {
    const watching = [...this.hooks.values()].filter((hook) => watches(hook, event));
    const guid = randomUUID();
    const attempts = Promise.all(
      watching.map((hook) =>
        this.attempt(hook, {
          guid,
          redelivery: false,
          event: event.event,
          action: event.payload.action ?? null,
          repositoryId: event.repository.id,
          installationId: 'app' in hook.target ? (event.installationId ?? null) : null,
          body: JSON.stringify(event.payload),
        }),
      ),
    );
    this.inFlight = Promise.all([this.inFlight, attempts]);
    return attempts;
  }

  /**
   * GitHub's deliveries API for the hook `path` names, or undefined when `path` is not one of its routes:
   * `GET {repos/o/r | orgs/o | app}/hook(s)[/id]/deliveries` and `POST .../deliveries/{delivery_id}/attempts`; a
   * repository or an organization the credential does not `sees` answers 404.
   */
  answer(
    method: string,
    url: URL,
    sees: { readonly repository: (fullName: string) => boolean; readonly org: (org: string) => boolean },
  ): Reply | undefined {
    const route =
      /^\/(?:repos\/([^/]+\/[^/]+)\/hooks\/(\d+)|orgs\/([^/]+)\/hooks\/(\d+)|app\/hook)\/deliveries(?:\/(\d+)(\/attempts)?)?$/.exec(
        url.pathname,
      );
    if (!route) return undefined;
    const [, repository, repositoryHookId, org, orgHookId, deliveryId, attempts] = route;
    const hook = [...this.hooks.values()].find((candidate) =>
      repository
        ? candidate.id === Number(repositoryHookId) &&
          'repository' in candidate.target &&
          sameName(candidate.target.repository, repository)
        : org
          ? candidate.id === Number(orgHookId) && 'org' in candidate.target && sameName(candidate.target.org, org)
          : 'app' in candidate.target,
    );
    if (!hook || (repository && !sees.repository(repository)) || (org && !sees.org(org))) return NOT_FOUND;
    const ofHook = this.deliveries.filter((delivery) => delivery.hookId === hook.id);
    if (deliveryId === undefined) return method === 'GET' ? listed(ofHook, url) : NOT_FOUND;
    const delivery = ofHook.find((candidate) => candidate.id === Number(deliveryId));
    if (!delivery) return NOT_FOUND;
    if (!attempts) return method === 'GET' ? { status: 200, body: deliveryJson(delivery) } : NOT_FOUND;
    if (method !== 'POST') return NOT_FOUND;
    this.redeliveryRequests.push(delivery.id);
    const redelivered = this.attempt(hook, { ...delivery, redelivery: true });
    this.inFlight = Promise.all([this.inFlight, redelivered]);
    return { status: 202, body: {} };
  }

  /** Sends one attempt, as GitHub's hookshot does, and records how the endpoint answered. */
  private async attempt(
    hook: FakeHook,
    delivery: Pick<HookDelivery, 'guid' | 'redelivery' | 'event' | 'action' | 'repositoryId' | 'installationId' | 'body'>,
  ): Promise<HookDelivery> {
    const started = performance.now();
    const deliveredAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const id = this.nextDeliveryId++;
    let answered: Pick<HookDelivery, 'status' | 'statusCode'>;
    const outage = this.outages.get(hook.id) ?? 0;
    if (outage > 0) {
      this.outages.set(hook.id, outage - 1);
      answered = { status: 'failed to connect', statusCode: 0 };
    } else answered = await post(hook, delivery);
    const recorded: HookDelivery = {
      ...delivery,
      ...answered,
      id,
      hookId: hook.id,
      deliveredAt,
      durationSeconds: (performance.now() - started) / 1000,
    };
    this.deliveries.push(recorded);
    return recorded;
  }
}

async function post(
  hook: FakeHook,
  delivery: Pick<HookDelivery, 'guid' | 'event' | 'body'>,
): Promise<Pick<HookDelivery, 'status' | 'statusCode'>> {
  const targetType = 'repository' in hook.target ? 'repository' : 'org' in hook.target ? 'organization' : 'integration';
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        accept: '*/*',
        'content-type': 'application/json',
        'user-agent': `GitHub-Hookshot/${randomBytes(4).toString('hex').slice(0, 7)}`,
        'x-github-delivery': delivery.guid,
        'x-github-event': delivery.event,
        'x-github-hook-id': String(hook.id),
        'x-github-hook-installation-target-type': targetType,
        'x-hub-signature': `sha1=${createHmac('sha1', hook.secret).update(delivery.body).digest('hex')}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', hook.secret).update(delivery.body).digest('hex')}`,
      },
      body: delivery.body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.ok
      ? { status: 'OK', statusCode: response.status }
      : { status: `Invalid HTTP Response: ${response.status}`, statusCode: response.status };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { status: timedOut ? 'timed out' : 'failed to connect', statusCode: 0 };
  }
}

function watches(hook: FakeHook, event: HookEvent): boolean {
  const { target } = hook;
  if ('repository' in target) return sameName(target.repository, event.repository.fullName);
  if ('org' in target) return sameName(target.org, event.repository.fullName.split('/')[0]!);
  return event.installationId !== undefined;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * A page of a hook's deliveries, newest first: `per_page` (default 30, at most 100) from `cursor` (the Link header's
 * opaque value: the page starts after the delivery it names), and `rel="next"` while older ones remain.
 */
function listed(deliveries: readonly HookDelivery[], url: URL): Reply {
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
  const cursor = /^v1_(\d+)$/.exec(url.searchParams.get('cursor') ?? '');
  const newestFirst = [...deliveries].reverse().filter((delivery) => !cursor || delivery.id < Number(cursor[1]));
  const page = newestFirst.slice(0, perPage);
  const last = page.at(-1);
  if (!last || newestFirst.length <= perPage) return { status: 200, body: page.map(deliveryJson) };
  const next = new URL(url.toString());
  next.searchParams.set('cursor', `v1_${last.id}`);
  return { status: 200, body: page.map(deliveryJson), headers: { link: `<${next.toString()}>; rel="next"` } };
}

/** A delivery as GitHub lists it (the hook-delivery-item schema). */
function deliveryJson(delivery: HookDelivery) {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: Number(delivery.durationSeconds.toFixed(2)),
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
    throttled_at: null,
  };
}
