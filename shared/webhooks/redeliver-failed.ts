/**
 * Nothing missed: GitHub does not redeliver a failed webhook delivery by itself, but redelivers one on request within
 * 3 days (docs.github.com/webhooks/using-webhooks/handling-failed-webhook-deliveries). The hourly job lists each
 * configured hook's recent deliveries and asks, once per event (its GUID, kept across attempts), for the latest
 * attempt of every event none of whose attempts succeeded. Pure: GitHub and the table are behind interfaces.
 */
import type { WebhookHook } from '../config.ts';

/** The environment of the step that redelivers. */
export const REDELIVERY_ENV = {
  /** The hooks whose deliveries are checked (JSON, `webhooks.hooks`). */
  hooks: 'WEBHOOK_HOOKS',
} as const;

/** How far back GitHub redelivers (github.com; GHES keeps 7 days, so 3 is safe there too). */
export const REDELIVERY_WINDOW_MS = 3 * 24 * 3_600_000;

/**
 * Redeliveries asked for in one run at most. A redelivery request is a POST, which Octokit's throttling sends one a
 * second (GitHub's secondary limits count such requests): 50 fit the step's time; the rest wait for the next run,
 * still well inside GitHub's 3 days.
 */
export const MAX_REDELIVERIES_PER_RUN = 50;

/** A delivery attempt as GitHub lists it (the fields this reads). */
export interface ListedDelivery {
  readonly id: number;
  readonly guid: string;
  readonly delivered_at: string;
  readonly status_code: number;
}

export interface HookDeliveriesApi {
  /** The hook's deliveries, page by page, newest first (GitHub's order). */
  pages(hook: WebhookHook): AsyncIterable<readonly ListedDelivery[]>;
  /** Asks GitHub to redeliver an attempt (answered 202). */
  redeliver(hook: WebhookHook, deliveryId: number): Promise<void>;
}

export interface RedeliveryRequests {
  /** Records that a redelivery of this GUID was asked for; false when it already was. */
  claim(guid: string, now: Date): Promise<boolean>;
  /** Forgets a claim whose request GitHub refused, so the next run asks again. */
  release(guid: string): Promise<void>;
}

export interface RedeliveryOutcome {
  readonly hooks: number;
  /** Attempts listed within the window. */
  readonly listed: number;
  /** Events inside the window with no successful attempt. */
  readonly failed: number;
  /** Redeliveries asked for in this run. */
  readonly requested: number;
  /** Failed events already asked for by an earlier run (each is asked once). */
  readonly alreadyRequested: number;
  /** Failed events left for the next run: this one asked for its maximum. */
  readonly deferred: number;
}

/**
 * Lists the hooks' deliveries of the last 3 days and has GitHub redeliver each failed event once.
 * @param maxRequests redeliveries asked for at most; the other failed events are left for the next run.
 */
export async function redeliverFailed(
  deps: { readonly api: HookDeliveriesApi; readonly requests: RedeliveryRequests },
  hooks: readonly WebhookHook[],
  now: Date,
  maxRequests = MAX_REDELIVERIES_PER_RUN,
): Promise<RedeliveryOutcome> {
  const since = now.getTime() - REDELIVERY_WINDOW_MS;
  let listed = 0;
  let failed = 0;
  let requested = 0;
  let alreadyRequested = 0;
  let deferred = 0;
  for (const hook of hooks) {
    const attempts = await recentAttempts(deps.api, hook, since);
    listed += attempts.length;
    for (const latest of latestFailedAttempts(attempts)) {
      failed++;
      if (requested >= maxRequests) {
        deferred++;
        continue;
      }
      if (!(await deps.requests.claim(latest.guid, now))) {
        alreadyRequested++;
        continue;
      }
      try {
        await deps.api.redeliver(hook, latest.id);
      } catch (error) {
        await deps.requests.release(latest.guid);
        throw error;
      }
      requested++;
    }
  }
  return { hooks: hooks.length, listed, failed, requested, alreadyRequested, deferred };
}

/** The hook's attempts delivered after `since`: pages are read until one reaches back past it. */
async function recentAttempts(api: HookDeliveriesApi, hook: WebhookHook, since: number): Promise<ListedDelivery[]> {
  const recent: ListedDelivery[] = [];
  for await (const page of api.pages(hook)) {
    const inWindow = page.filter((delivery) => Date.parse(delivery.delivered_at) > since);
    recent.push(...inWindow);
    if (inWindow.length < page.length) break;
  }
  return recent;
}

/** For each event (GUID) none of whose attempts got a 2xx answer, its latest attempt. */
function latestFailedAttempts(attempts: readonly ListedDelivery[]): ListedDelivery[] {
  const byGuid = new Map<string, ListedDelivery[]>();
  for (const attempt of attempts) byGuid.set(attempt.guid, [...(byGuid.get(attempt.guid) ?? []), attempt]);
  return [...byGuid.values()]
    .filter((tries) => tries.every((attempt) => attempt.status_code < 200 || attempt.status_code > 299))
    .map((tries) => tries.reduce((latest, attempt) => (attempt.id > latest.id ? attempt : latest)));
}
