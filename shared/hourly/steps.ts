/**
 * The hourly job's two steps: compute the figures and decide which alerts to notify ("Compute Hourly
 * Metrics"), then deliver the run's notification on every channel ("Send Alerts").
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { digestOf, noticeCount } from '../domain/alert-message.ts';
import { ALERT_SOURCES, type AlertRules, type AlertSource, firingAlerts, planAlerts } from '../domain/alerts.ts';
import type { BugRules } from '../domain/bugs.ts';
import { freshnessOf, isStale, staleProjectAlerts, worstLagSeconds } from '../domain/freshness.ts';
import { combineFigures } from '../domain/hourly-metrics.ts';
import type { StepResult } from '../domain/job-run.ts';
import { OnCallDeliveryError } from '../errors.ts';
import { logger } from '../logger.ts';
import { publishOrganizationMetrics } from '../metrics.ts';
import { type AlertChannel, deliver } from '../notify/channels.ts';
import type { AlertsStore, Notification } from '../store/alerts-store.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import { readProjectTallies } from './project-tallies.ts';
import { queueNotices } from './queue-notices.ts';
import { replayNote } from './replay-note.ts';

type Outcome = Omit<StepResult, 'attempt'>;

export interface MetricsDependencies {
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly snapshots: SnapshotsStore;
  readonly alerts: AlertsStore;
  readonly events: SyncEventsStore;
  readonly metrics: Metrics;
  readonly bugRules: Pick<BugRules, 'slaHours' | 'maxRevenuePerBug'>;
  readonly alertRules: AlertRules;
}

/**
 * Counts every active project's figures from its hourly aggregate and the few items time alone changed since
 * (`readProjectTallies`; a project without a usable aggregate is read through the indexes, never a Scan),
 * stores the hour's snapshots, decides which alerts to notify and queues them in the outbox before
 * saving the alert states, so a crash in between loses no notification and a retry queues none twice. Each
 * project's freshness (when its data was last confirmed) is judged too: a project unconfirmed past the limit
 * alerts, and the worst lag goes out with the figures. The organisation's figures are published as metrics last,
 * once everything else has succeeded. A replay (an hour before the latest evaluated one) stores and reports its own
 * figures only: no alert, no metric.
 */
export async function computeHourlyMetrics(
  deps: MetricsDependencies,
  run: { readonly runId: string; readonly now: Date },
): Promise<Outcome> {
  const { now } = run;
  const projects = await deps.projects.listActive();
  const projectIds = projects.map((project) => project.projectId);
  const freshness = projects.map((project) => freshnessOf(project, now));
  const worstLag = worstLagSeconds(freshness);
  const { staleAfterHours } = deps.alertRules;
  const rules = {
    ...deps.bugRules,
    slaBreachSeverities: deps.alertRules.slaBreachSeverities,
    unassignedSeverities: deps.alertRules.unassignedSeverities,
  };
  const counted = await readProjectTallies(deps.items, projectIds, now, rules);
  const { tallies, snapshotted, storeAggregates, alertingBugs } = counted;
  logger.info('hourly figures counted', {
    itemsRead: counted.itemsRead,
    projects: counted.paths,
    snapshotsDue: projectIds.length - snapshotted.size,
  });
  const figures = combineFigures(now, tallies);
  await deps.snapshots.putHourly(figures, snapshotted);
  await storeAggregates();
  const evaluation = await deps.alerts.claimEvaluation('bugs', now);
  const { totals } = figures;
  // The bugs the figures count, however few items the aggregates needed read.
  const bugsCounted = totals.openBugs + totals.velocity.last7Days + totals.velocity.previous7Days;
  const figuresSummary =
    `${totals.projects} projects, ${totals.openBugs} open bugs, $${totals.revenueAtRisk.toLocaleString('en-US')}/day at risk, ` +
    `${totals.alertingSlaBreaches} SLA breaches (paging), ${totals.unassignedCritical} unassigned critical, ` +
    `velocity ${totals.velocity.last7Days} (previous week ${totals.velocity.previous7Days}), ` +
    `${freshness.filter((project) => isStale(project, staleAfterHours)).length} project(s) stale (over ${staleAfterHours} h), ` +
    `worst lag ${worstLag === undefined ? 'none (no project synced yet)' : `${Math.floor(worstLag / 60)} min`}`;
  let summary: string;
  if (evaluation.replay) {
    // The hour's figures are kept (its own snapshot), but alerts and metrics belong to the latest hour only.
    summary = `${replayNote(now, evaluation)}; ${figuresSummary}`;
  } else {
    const firing = [
      ...firingAlerts(alertingBugs, figures, now, deps.bugRules, deps.alertRules),
      ...staleProjectAlerts(freshness, staleAfterHours),
    ];
    const { notices, writes } = planAlerts(firing, await deps.alerts.listTracked('bugs'), now, deps.alertRules.cooldownHours);
    await deps.alerts.saveStates(
      await queueNotices(deps.alerts, digestOf(run.runId, figures.at, notices, totals.revenueAtRisk, 'bugs'), notices, writes),
    );
    summary = `${figuresSummary}; ${firing.length} alerts firing, ${notices.length} to notify`;
  }
  await deps.events.append({
    runId: run.runId,
    timestamp: now.toISOString(),
    eventType: 'metrics',
    level: 'info',
    message: summary,
    recordsProcessed: bugsCounted,
  });
  if (!evaluation.replay) publishOrganizationMetrics(deps.metrics, totals, worstLag);
  return { recordsProcessed: bugsCounted, recordsFailed: 0, summary };
}

export interface SendDependencies {
  readonly alerts: AlertsStore;
  readonly events: SyncEventsStore;
  readonly channels: readonly AlertChannel[];
  readonly retry: { readonly attempts: number; readonly baseMs: number };
}

/** The channel that pages on-call: if it fails, the run fails, so JobHistory and the state machine's failure metric show it. */
const ON_CALL = 'on-call';

/** A notification to deliver: the run's own, or one queued outside a run (a purge's) under its own run id. */
interface Queued {
  readonly runId: string;
  readonly source: AlertSource;
  readonly notification: Notification;
}

const isQueued = (queued: { readonly notification: Notification | undefined }): queued is Queued => queued.notification !== undefined;

/**
 * Delivers the run's notifications, if it has any, and those queued outside a run since (a purge's), on every
 * channel at once. Each channel is claimed in the outbox before sending, so a retried task never sends twice;
 * a channel that stays down is recorded in SyncEvents and does not stop the others.
 * @throws OnCallDeliveryError after every channel was tried, when the on-call topic could not be reached.
 */
export async function sendAlerts(deps: SendDependencies, run: { readonly runId: string; readonly now: Date }): Promise<Outcome> {
  const own = await Promise.all(
    ALERT_SOURCES.map(async (source) => ({
      runId: run.runId,
      source,
      notification: await deps.alerts.getNotification(run.runId, source),
    })),
  );
  const notifications = [...own.filter(isQueued), ...(await pendingNotifications(deps.alerts, run.now))];
  if (notifications.length === 0) return { recordsProcessed: 0, recordsFailed: 0, summary: 'no alert changed: nothing to notify' };
  const delivered = await Promise.all(
    notifications.map(async (queued) => {
      const results = await deliverEverywhere(deps, run.runId, queued);
      // Every channel of it is claimed now, by this attempt or an earlier one: the next run must not try it again.
      if (queued.runId !== run.runId) await deps.alerts.settlePending(queued.runId, queued.source);
      return { queued, results };
    }),
  );
  const summary = delivered
    .map(
      ({ queued, results }) =>
        `${queued.runId === run.runId ? queued.source : `${queued.source} of ${queued.runId}`}: ` +
        `${noticeCount(queued.notification.digest)} notices; ${results.map((result) => `${result.channel}: ${result.state}`).join(', ')}`,
    )
    .join('; ');
  const results = delivered.flatMap(({ results }) => results);
  const onCall = results.filter((result) => result.channel === ON_CALL && (result.state === 'failed' || result.state === 'unconfirmed'));
  if (onCall.length > 0) {
    const [first] = onCall;
    const reached =
      first!.state === 'failed' ? `not reached (${first!.error})` : 'possibly not reached (an earlier attempt died while publishing)';
    throw new OnCallDeliveryError(`the on-call topic was ${reached}; ${summary}`);
  }
  return {
    recordsProcessed: results.filter((result) => result.state === 'sent').length,
    recordsFailed: results.filter((result) => result.state === 'failed').length,
    summary,
  };
}

/**
 * The notifications queued outside a run, for a run of the latest evaluated hour only: a replay notifies nobody,
 * and leaves them to the next run. One that expired unsent (no hourly run for its retention) is only forgotten.
 */
async function pendingNotifications(alerts: AlertsStore, now: Date): Promise<Queued[]> {
  const latest = await alerts.latestEvaluation('bugs');
  if (latest !== undefined && latest > now.toISOString()) return [];
  const pending = await alerts.listPending();
  await Promise.all(pending.filter((queued) => !isQueued(queued)).map((expired) => alerts.settlePending(expired.runId, expired.source)));
  return pending.filter(isQueued);
}

/** One queued notification on every channel at once, each claimed before it is sent; the SyncEvents go to the run `runId`. */
async function deliverEverywhere(deps: SendDependencies, runId: string, { runId: queuedBy, source, notification }: Queued) {
  const { digest } = notification;
  const notices = `${source} alert notices${queuedBy === runId ? '' : ` queued by ${queuedBy}`}`;
  return Promise.all(
    deps.channels.map(async (channel) => {
      if (!(await deps.alerts.claimDelivery(queuedBy, source, channel.name, new Date().toISOString()))) {
        const earlier = notification.deliveries[channel.name];
        // Claimed by an earlier attempt: sent, failed, or its attempt died mid-send. Never send it again.
        return {
          channel: channel.name,
          state: earlier?.status === 'sending' ? 'unconfirmed' : `already ${earlier?.status ?? 'claimed'}`,
        };
      }
      const outcome = await deliver(channel, digest, deps.retry);
      await deps.alerts.recordDelivery(queuedBy, source, channel.name, {
        status: outcome.ok ? 'sent' : 'failed',
        at: new Date().toISOString(),
        attempts: outcome.attempts,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
      await deps.events.append({
        runId,
        timestamp: new Date().toISOString(),
        eventType: 'alert',
        level: outcome.ok ? 'info' : 'error',
        message: outcome.ok
          ? `${channel.name}: sent ${noticeCount(digest)} ${notices} (attempt ${outcome.attempts})`
          : `${channel.name}: ${notices} not delivered after ${outcome.attempts} attempts: ${outcome.error}`,
        recordsProcessed: outcome.ok ? 1 : 0,
        recordsFailed: outcome.ok ? 0 : 1,
      });
      return { channel: channel.name, state: outcome.ok ? 'sent' : 'failed', error: outcome.error };
    }),
  );
}
