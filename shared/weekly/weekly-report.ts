/**
 * "Send Weekly Report" (weekly): the CTO report built from the stores, rendered, saved locally, and sent
 * once per ISO week through SES.
 */
import type { SESClient } from '@aws-sdk/client-ses';
import * as z from 'zod';
import { forEachConcurrently, PROJECT_READ_CONCURRENCY } from '../concurrency.ts';
import type { DailySnapshot } from '../domain/daily-metrics.ts';
import type { StepResult } from '../domain/job-run.ts';
import { executionConsoleUrl, type ReportSettings, renderReportEmail } from '../domain/report-email.ts';
import {
  addActivity,
  type CoveredWeek,
  coveredWeeks,
  isoWeekOf,
  NO_ACTIVITY,
  type ProjectInput,
  TREND_WEEKS,
  type WeeklyReport,
  weekActivity,
  weeklyReport,
} from '../domain/weekly-report.ts';
import { ReportDeliveryUnknownError, ReportRejectedError, TransientError } from '../errors.ts';
import type { CronMonitor } from '../monitoring/cron-monitor.ts';
import { PERMANENT_SES_ERRORS, sendEmail } from '../notify/email.ts';
import { saveToOutbox } from '../notify/outbox.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import { ORGANIZATION_SNAPSHOT_ID, type SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import { dateOf, dayBefore } from './dates.ts';

export interface ReportSources {
  readonly projects: ProjectsStore;
  readonly snapshots: SnapshotsStore;
  readonly items: WorkItemsStore;
  readonly runs: JobHistoryStore;
  /** The watchdog's monitor: the report's success rates are its sample's, so the CTO and on-call see one number. */
  readonly monitor: Pick<CronMonitor, 'view' | 'thresholds'>;
}

/**
 * Gathers the report's data for the last whole ISO week before `now` in `timeZone`: snapshots at its end and at
 * the end of the week before, the organisation's at the end of each earlier trend week, the bugs opened and closed
 * and pull requests merged in it and in the week before, the runs scheduled in it, each job's success rate at its
 * end as the watchdog judges it; statuses and open critical bugs as of `now`.
 */
export async function buildWeeklyReport(deps: ReportSources, now: Date, timeZone: string): Promise<WeeklyReport> {
  const weeks = coveredWeeks(now, timeZone, TREND_WEEKS);
  const [week, weekBefore] = weeks as [CoveredWeek, CoveredWeek];
  const projects: ProjectInput[] = [];
  const openCriticalBugs: Awaited<ReturnType<WorkItemsStore['listOpenBugs']>> = [];
  let activity = { covered: NO_ACTIVITY, weekBefore: NO_ACTIVITY };
  await forEachConcurrently(await deps.projects.listActive(), PROJECT_READ_CONCURRENCY, async (project) => {
    const [current, before, status, open, items] = await Promise.all([
      dailyAsOf(deps.snapshots, project.projectId, week.end),
      dailyAsOf(deps.snapshots, project.projectId, weekBefore.end),
      deps.snapshots.latestStatus(project.projectId, dateOf(now)),
      deps.items.listOpenBugs(project.projectId, now),
      deps.items.listForProject(project.projectId),
    ]);
    const { projectId, displayName, fullName } = project;
    projects.push({ projectId, displayName, fullName, current, weekAgo: before, status: status?.status });
    openCriticalBugs.push(...open.filter((bug) => bug.severity === 'critical'));
    activity = {
      covered: addActivity(activity.covered, weekActivity(items, week.start, week.end)),
      weekBefore: addActivity(activity.weekBefore, weekActivity(items, weekBefore.start, weekBefore.end)),
    };
  });
  const [organizationNow, organizationWeekAgo, runs, atWeekEnd, ...earlierWeeks] = await Promise.all([
    deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, week.end),
    deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, weekBefore.end),
    // Both ends are included: a run at the next Monday's 00:00 belongs to the next week.
    deps.runs.listScheduledBetween(week.start, new Date(week.end.getTime() - 1)),
    deps.monitor.view(week.end),
    ...weeks.slice(2).map((earlier) => deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, earlier.end)),
  ]);
  const organization = {
    current: organizationNow,
    weekAgo: organizationWeekAgo,
    earlierWeeks: earlierWeeks.filter((snapshot) => snapshot !== undefined),
  };
  const { successRateWindowDays: windowDays, successRateMinRuns: minRuns } = deps.monitor.thresholds;
  const successRates = { windowDays, minRuns, jobs: atWeekEnd.successRates };
  return weeklyReport({ now, weeks, organization, projects, activity, openCriticalBugs, runs, successRates });
}

/** The newest daily snapshot computed by `at` (a snapshot dated that day but computed later is skipped). */
async function dailyAsOf(snapshots: SnapshotsStore, projectId: string, at: Date): Promise<DailySnapshot | undefined> {
  const snapshot = await snapshots.latestDaily(projectId, dateOf(at));
  if (!snapshot || Date.parse(snapshot.asOf) <= at.getTime()) return snapshot;
  return snapshots.latestDaily(projectId, dayBefore(dateOf(at)));
}

export interface SendReportDependencies extends ReportSources {
  readonly events: SyncEventsStore;
  readonly ses: SESClient;
  readonly linkHost: string;
  /** The organisation's name and the dashboard and console links of the email; each optional. */
  readonly settings?: ReportSettings;
  /** The schedules' time zone, in which the report covers the last whole ISO week. */
  readonly timeZone: string;
  readonly recipients: readonly string[];
  readonly sender?: string;
  /** Local runs: where every report email is saved. */
  readonly outboxDirectory?: string;
}

/** The step's own field: the execution it runs in (`$$.Execution.Id`), which the email links to in the console. */
const StepEventSchema = z.object({ executionArn: z.string().optional() });

/** A `sending` marker older than this belongs to an attempt that died mid-send (the step's Lambda times out sooner). */
const ABANDONED_SEND_MS = 15 * 60_000;

/**
 * Builds and renders the week's report and sends it with SES, at most once per ISO week: a marker is
 * written with a conditional put before sending, so a retry or a duplicate run finds it and sends
 * nothing. SES answering with an error means nothing was sent: the marker is cleared and the step fails
 * (retried when the error may pass). No answer at all (a timeout) may hide a sent email: the marker stays,
 * and the step fails without a retry rather than risk a second email.
 * @throws TransientError, ReportRejectedError, or ReportDeliveryUnknownError.
 */
export async function sendWeeklyReport(
  deps: SendReportDependencies,
  run: { readonly runId: string; readonly now: Date; readonly event?: unknown },
): Promise<Omit<StepResult, 'attempt'>> {
  const report = await buildWeeklyReport(deps, run.now, deps.timeZone);
  const executionArn = StepEventSchema.safeParse(run.event).data?.executionArn;
  const consoleUrl = executionArn ? executionConsoleUrl(executionArn) : undefined;
  const email = renderReportEmail(report, deps.linkHost, { ...deps.settings, ...(consoleUrl ? { consoleUrl } : {}) });
  const week = report.week.id;
  // The once-per-week marker stays keyed on the week the report is sent in, as it was before reports named the
  // week they cover (the one before): keyed on the covered week, the first run after a deploy would find the
  // marker its predecessor wrote a week earlier under that same key, and send nothing.
  const sendWeek = isoWeekOf(run.now);
  const note = (message: string, level: 'info' | 'warn' | 'error' = 'info') =>
    deps.events.append({ runId: run.runId, timestamp: new Date().toISOString(), eventType: 'report', level, message });
  const keep = async (to: readonly string[]) => {
    if (!deps.outboxDirectory) return '';
    const message = { subject: email.subject, from: deps.sender, to, date: new Date().toISOString(), html: email.html, text: email.text };
    return ` (saved to ${await saveToOutbox(deps.outboxDirectory, `weekly-report-${week}`, message)})`;
  };

  if (deps.recipients.length === 0 || !deps.sender) {
    const why =
      deps.recipients.length === 0 ? 'no recipients configured' : `recipients are set but no sender (EMAIL_FROM or report.sender)`;
    const summary = `rendered the ${week} report; ${why}: no email sent${await keep([])}`;
    await note(summary, 'warn');
    return { recordsProcessed: 0, recordsFailed: 0, summary };
  }
  if (!(await deps.snapshots.claimReport(sendWeek, new Date().toISOString()))) {
    const marker = await deps.snapshots.getReportMarker(sendWeek);
    if (marker?.status === 'unknown' || (marker?.status === 'sending' && Date.now() - Date.parse(marker.claimedAt) > ABANDONED_SEND_MS)) {
      throw new ReportDeliveryUnknownError(
        `the ${week} report's send started at ${marker.claimedAt} and never got an answer: ` +
          "check SES's sending activity before sending it by hand",
      );
    }
    const summary = `the ${week} report was already ${marker?.status === 'sent' ? 'sent' : 'being sent'}: not sending it again`;
    await note(summary);
    return { recordsProcessed: 0, recordsFailed: 0, summary };
  }
  let messageId: string | undefined;
  try {
    messageId = await sendEmail(deps.ses, { sender: deps.sender, recipients: deps.recipients, ...email });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
    if (!answered) {
      await deps.snapshots.markReportUnknown(sendWeek, reason).catch(() => undefined);
      await note(`the ${week} report may or may not have been sent: ${reason}`, 'error');
      throw new ReportDeliveryUnknownError(
        `SES did not answer for the ${week} report (${reason}); it may have been sent, so it is not retried`,
        {
          cause: error,
        },
      );
    }
    // SES answered with an error: nothing was sent, so a later attempt may send.
    await deps.snapshots.releaseReport(sendWeek).catch(() => undefined);
    await note(`the ${week} report was not sent: ${reason}`, 'error');
    if (error instanceof Error && PERMANENT_SES_ERRORS.has(error.name)) {
      throw new ReportRejectedError(`SES rejected the ${week} report from ${deps.sender}: ${reason}`, { cause: error });
    }
    throw new TransientError(`SES did not take the ${week} report: ${reason}`, { cause: error });
  }
  // Sent: a failure to record it leaves the claim in place, which still stops a second email.
  await deps.snapshots.markReportSent(sendWeek, messageId ?? 'unknown', new Date().toISOString()).catch(() => undefined);
  const summary = `sent the ${week} report to ${deps.recipients.length} recipient(s): ${email.subject}${await keep(deps.recipients)}`;
  await note(summary);
  return { recordsProcessed: 1, recordsFailed: 0, summary };
}
