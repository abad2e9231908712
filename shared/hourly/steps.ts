/**
 * The hourly job's two steps: compute the figures and decide which alerts to notify ("Compute Hourly
 * Metrics"), then deliver the run's notification on every channel ("Send Alerts").
 */
import { createHash } from 'node:crypto';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { digestOf, noticeCount } from '../domain/alert-message.ts';
import { firingAlerts, planAlerts, type AlertNotice, type AlertRules, type AlertState } from '../domain/alerts.ts';
import type { BugRules } from '../domain/bugs.ts';
import { closuresSince, hourlyFigures, type ClosedBug, type HourlyFigures, type OpenBug } from '../domain/hourly-metrics.ts';
import type { StepResult } from '../domain/job-run.ts';
import { deliver, type AlertChannel } from '../notify/channels.ts';
import type { AlertsStore } from '../store/alerts-store.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import { publishOrganizationMetrics } from '../metrics.ts';
import { forEachConcurrently } from '../concurrency.ts';

type Outcome = Omit<StepResult, 'attempt'>;

export interface MetricsDependencies {
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly snapshots: SnapshotsStore;
  readonly alerts: AlertsStore;
  readonly events: SyncEventsStore;
  readonly metrics: Metrics;
  readonly bugRules: Pick<BugRules, 'slaHours'>;
  readonly alertRules: AlertRules;
}

/** Projects whose bugs are read at once: enough to hide latency, few enough not to throttle. */
const READ_CONCURRENCY = 16;

/**
 * Reads every active project's open bugs and recent closures (through the indexes, never a Scan),
 * stores the hour's snapshots, decides which alerts to notify and queues them in the outbox before
 * saving the alert states, so a crash in between loses no notification and a retry queues none twice.
 * The organisation's figures are published as metrics last, once everything else has succeeded.
 */
export async function computeHourlyMetrics(deps: MetricsDependencies, run: { readonly runId: string; readonly now: Date }): Promise<Outcome> {
  const { now } = run;
  const projectIds = (await deps.projects.listActive()).map((project) => project.projectId);
  const since = closuresSince(now);
  const openBugs: OpenBug[] = [];
  const closures: ClosedBug[] = [];
  await forEachConcurrently(projectIds, READ_CONCURRENCY, async (projectId) => {
    const [open, closed] = await Promise.all([deps.items.listOpenBugs(projectId, now), deps.items.listClosedBugs(projectId, since, now)]);
    openBugs.push(...open);
    closures.push(...closed);
  });

  const figures = hourlyFigures(projectIds, openBugs, closures, now, deps.bugRules, deps.alertRules);
  await deps.snapshots.putHourly(figures);
  const firing = firingAlerts(openBugs, figures, now, deps.bugRules, deps.alertRules);
  const { notices, writes } = planAlerts(firing, await deps.alerts.listTracked(), now, deps.alertRules.cooldownHours);
  await deps.alerts.saveStates(await queueNotices(deps.alerts, run.runId, figures, notices, writes));

  const { totals } = figures;
  const summary =
    `${totals.projects} projects, ${totals.openBugs} open bugs, $${totals.revenueAtRisk.toLocaleString('en-US')}/day at risk, ` +
    `${totals.alertingSlaBreaches} SLA breaches, ${totals.unassignedCritical} unassigned critical, ` +
    `velocity ${totals.velocity.last7Days} (previous week ${totals.velocity.previous7Days}); ` +
    `${firing.length} alerts firing, ${notices.length} to notify`;
  await deps.events.append({
    runId: run.runId,
    timestamp: now.toISOString(),
    eventType: 'metrics',
    level: 'info',
    message: summary,
    recordsProcessed: openBugs.length + closures.length,
  });
  publishOrganizationMetrics(deps.metrics, totals);
  return { recordsProcessed: openBugs.length + closures.length, recordsFailed: 0, summary };
}

/**
 * Queues the run's notices and returns the states that may be saved: all of them, unless an earlier
 * attempt of this step already queued the run's notification; then a state whose notice that
 * notification does not carry is left unsaved, so it is notified by the next run instead of never.
 */
async function queueNotices(alerts: AlertsStore, runId: string, figures: HourlyFigures, notices: readonly AlertNotice[], writes: readonly AlertState[]) {
  if (notices.length === 0) return writes;
  const queued = await alerts.enqueue(digestOf(runId, figures.at, notices, figures.totals.revenueAtRisk), notices.map(noticeKeyOf));
  if (queued.queued) return writes;
  const notified = new Map(notices.map((notice) => [notice.alert.alertId, noticeKeyOf(notice)]));
  return writes.filter((state) => {
    const key = notified.get(state.alertId);
    return key === undefined || queued.noticeKeys.has(key);
  });
}

/** A short, stable key of a notice (12 hex characters keep 10,000 of them well inside one item). */
function noticeKeyOf(notice: AlertNotice): string {
  return createHash('sha1').update(`${notice.kind}#${notice.alert.alertId}`).digest('hex').slice(0, 12);
}

export interface SendDependencies {
  readonly alerts: AlertsStore;
  readonly events: SyncEventsStore;
  readonly channels: readonly AlertChannel[];
  readonly retry: { readonly attempts: number; readonly baseMs: number };
}

/** The channel that pages on-call: if it fails, the run fails, so JobHistory and the state machine's failure metric show it. */
const ON_CALL = 'on-call';

/**
 * Delivers the run's notification, if it has one, on every channel at once. Each channel is claimed in
 * the outbox before sending, so a retried task never sends twice; a channel that stays down is recorded
 * in SyncEvents and does not stop the others.
 * @throws OnCallDeliveryError after every channel was tried, when the on-call topic could not be reached.
 */
export async function sendAlerts(deps: SendDependencies, run: { readonly runId: string; readonly now: Date }): Promise<Outcome> {
  const notification = await deps.alerts.getNotification(run.runId);
  if (!notification) return { recordsProcessed: 0, recordsFailed: 0, summary: 'no alert changed: nothing to notify' };
  const { digest } = notification;
  const results = await Promise.all(
    deps.channels.map(async (channel) => {
      if (!(await deps.alerts.claimDelivery(run.runId, channel.name, new Date().toISOString()))) {
        const earlier = notification.deliveries[channel.name];
        // Claimed by an earlier attempt: sent, failed, or its attempt died mid-send. Never send it again.
        return { channel: channel.name, state: earlier?.status === 'sending' ? 'unconfirmed' : `already ${earlier?.status ?? 'claimed'}` };
      }
      const outcome = await deliver(channel, digest, deps.retry);
      await deps.alerts.recordDelivery(run.runId, channel.name, {
        status: outcome.ok ? 'sent' : 'failed',
        at: new Date().toISOString(),
        attempts: outcome.attempts,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
      await deps.events.append({
        runId: run.runId,
        timestamp: new Date().toISOString(),
        eventType: 'alert',
        level: outcome.ok ? 'info' : 'error',
        message: outcome.ok
          ? `${channel.name}: sent ${noticeCount(digest)} alert notices (attempt ${outcome.attempts})`
          : `${channel.name}: not delivered after ${outcome.attempts} attempts: ${outcome.error}`,
        recordsProcessed: outcome.ok ? 1 : 0,
        recordsFailed: outcome.ok ? 0 : 1,
      });
      return { channel: channel.name, state: outcome.ok ? 'sent' : 'failed', error: outcome.error };
    }),
  );
  const summary = `${noticeCount(digest)} notices; ${results.map((result) => `${result.channel}: ${result.state}`).join(', ')}`;
  const onCall = results.find((result) => result.channel === ON_CALL);
  if (onCall?.state === 'failed' || onCall?.state === 'unconfirmed') {
    throw new OnCallDeliveryError(`the on-call topic was ${onCall.state === 'failed' ? `not reached (${onCall.error})` : 'possibly not reached (an earlier attempt died while publishing)'}; ${summary}`);
  }
  return {
    recordsProcessed: results.filter((result) => result.state === 'sent').length,
    recordsFailed: results.filter((result) => result.state === 'failed').length,
    summary,
  };
}

/** On-call could not be paged through the topic. Not retried: the claim already stops a resend. */
export class OnCallDeliveryError extends Error {
  override readonly name = 'OnCallDeliveryError';
}
