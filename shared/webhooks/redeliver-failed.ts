/**
 * Nothing missed: GitHub does not redeliver a failed webhook delivery by itself, but redelivers one on request within
 * 3 days (docs.github.com/webhooks/using-webhooks/handling-failed-webhook-deliveries). The hourly job lists each
 * configured hook's recent deliveries and asks, once per event (its GUID, kept across attempts), for the latest
 * attempt of every event none of whose attempts succeeded. A hook with no such event left confirms the projects it
 * covers (hook-confirmations.ts). GitHub and the tables are behind interfaces.
 */
import type { WebhookHook } from '../config.ts';
import { logger } from '../logger.ts';
import type { HeldBack, HookConfirmations } from './hook-confirmations.ts';

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
  /** The repository the event was about; null for an event of no repository. */
  readonly repository_id?: number | null;
}

export interface HookDeliveriesApi {
  /** The hook's deliveries, page by page, newest first (GitHub's order). */
  pages(hook: WebhookHook): AsyncIterable<readonly ListedDelivery[]>;
  /** Asks GitHub to redeliver an attempt (answered 202). */
  redeliver(hook: WebhookHook, deliveryId: number): Promise<void>;
}

/**
 * How long a claim stands before a later run may claim the GUID again: past the longest a Lambda function runs
 * (15 minutes), so a claim still standing then belongs to a run that stopped before GitHub answered its request.
 */
export const CLAIM_LEASE_MS = 15 * 60_000;

export interface RedeliveryRequests {
  /**
   * Claims the GUID's redelivery request: false when GitHub already took or refused one, or another run claimed it
   * less than {@link CLAIM_LEASE_MS} ago.
   */
  claim(guid: string, now: Date): Promise<boolean>;
  /** Records that GitHub took the request (202): the GUID is not asked for again. */
  recordRequested(guid: string, now: Date): Promise<void>;
  /** Records GitHub's refusal of the request (a 4xx answer, which asking again would meet too): not asked again. */
  recordRefused(guid: string, refusal: Refusal, now: Date): Promise<void>;
  /** Forgets a claim whose request failed for a passing reason (a 5xx, a rate limit, the network): the next run asks again. */
  release(guid: string): Promise<void>;
}

/** A redelivery request GitHub refused. */
export interface Refusal {
  readonly guid: string;
  /** The delivery attempt asked for. */
  readonly deliveryId: number;
  /** GitHub's status code. */
  readonly status: number;
  readonly message: string;
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
  /** Requests GitHub refused (4xx): recorded, not asked again. */
  readonly refused: readonly Refusal[];
  /** Requests that failed for a passing reason (5xx, rate limit, network): the next run asks again. */
  readonly retryLater: number;
  /** Projects confirmed as of the run's time by a hook with no failed event left outstanding. */
  readonly confirmed: number;
}

export interface RedeliveryDependencies {
  readonly api: HookDeliveriesApi;
  readonly requests: RedeliveryRequests;
  /** Where a hook with nothing outstanding confirms its projects; absent, none is confirmed. */
  readonly confirmations?: HookConfirmations;
}

/**
 * Lists the hooks' deliveries of the last 3 days and has GitHub redeliver each failed event once. Each event is asked
 * for on its own: GitHub refusing one (a 4xx) is recorded and reported, one failing for a passing reason is left for
 * the next run, and neither stops the others. A GUID is claimed before its request and marked after GitHub's answer,
 * so a run that stops in between leaves a claim the next run takes over once {@link CLAIM_LEASE_MS} has passed.
 * A hook each of whose events inside the window has a successful attempt (or that had none) confirms its projects as
 * of `now`, right after its listing, so a later hook's failing listing does not undo it; one with a failed event
 * outstanding (asked for in this run or an earlier one, refused, deferred or left for the next run) confirms none.
 * @param maxRequests redeliveries asked for at most; the other failed events are left for the next run.
 * @throws what the listing or the table throws: the hook's deliveries cannot be known.
 */
export async function redeliverFailed(
  deps: RedeliveryDependencies,
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
  let retryLater = 0;
  let confirmed = 0;
  const refused: Refusal[] = [];
  for (const hook of hooks) {
    const attempts = await recentAttempts(deps.api, hook, since);
    listed += attempts.length;
    const outstanding = latestFailedAttempts(attempts);
    if (deps.confirmations) confirmed += await deps.confirmations.confirm(hook, now, heldBackBy(outstanding));
    for (const latest of outstanding) {
      failed++;
      if (requested + refused.length + retryLater >= maxRequests) {
        deferred++;
        continue;
      }
      if (!(await deps.requests.claim(latest.guid, now))) {
        alreadyRequested++;
        continue;
      }
      const answer = await requestRedelivery(deps, hook, latest, now);
      if (answer === 'requested') requested++;
      else if (answer === 'retryLater') retryLater++;
      else refused.push(answer);
    }
  }
  return { hooks: hooks.length, listed, failed, requested, alreadyRequested, deferred, refused, retryLater, confirmed };
}

/** Asks GitHub to redeliver a claimed attempt and records its answer. */
async function requestRedelivery(
  deps: RedeliveryDependencies,
  hook: WebhookHook,
  attempt: ListedDelivery,
  now: Date,
): Promise<'requested' | 'retryLater' | Refusal> {
  try {
    await deps.api.redeliver(hook, attempt.id);
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || !isRefusal(status)) {
      logger.warn('webhook redelivery request failed; the next run asks again', { guid: attempt.guid, status, error });
      await deps.requests.release(attempt.guid);
      return 'retryLater';
    }
    const refusal = { guid: attempt.guid, deliveryId: attempt.id, status, message: (error as Error).message };
    logger.warn('GitHub refused a webhook redelivery request; it is not asked for again', { ...refusal });
    await deps.requests.recordRefused(attempt.guid, refusal, now);
    return refusal;
  }
  await deps.requests.recordRequested(attempt.guid, now);
  return 'requested';
}

/** A 4xx other than a rate limit (403 or 429, which pass): asking again would be refused the same way. */
function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 403 && status !== 429;
}

/** The HTTP status of a failed GitHub request (Octokit's RequestError), if it got one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
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
/**
 * The repositories whose projects a hook cannot confirm: those of its events with no successful attempt. An event
 * GitHub lists without its repository (a hook of the app's own events) holds back all of them.
 */
function heldBackBy(outstanding: readonly ListedDelivery[]): HeldBack {
  if (outstanding.some((attempt) => attempt.repository_id == null)) return 'all';
  return new Set(outstanding.map((attempt) => attempt.repository_id!));
}

function latestFailedAttempts(attempts: readonly ListedDelivery[]): ListedDelivery[] {
  const byGuid = new Map<string, ListedDelivery[]>();
  for (const attempt of attempts) byGuid.set(attempt.guid, [...(byGuid.get(attempt.guid) ?? []), attempt]);
  return [...byGuid.values()]
    .filter((tries) => tries.every((attempt) => attempt.status_code < 200 || attempt.status_code > 299))
    .map((tries) => tries.reduce((latest, attempt) => (attempt.id > latest.id ? attempt : latest)));
}
