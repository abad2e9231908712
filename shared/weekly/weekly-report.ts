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
import { type ProjectInput, TREND_WEEKS, type WeeklyReport, weeklyReport } from '../domain/weekly-report.ts';
import { ReportDeliveryUnknownError, ReportRejectedError, TransientError } from '../errors.ts';
import { PERMANENT_SES_ERRORS, sendEmail } from '../notify/email.ts';
import { saveToOutbox } from '../notify/outbox.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import { ORGANIZATION_SNAPSHOT_ID, type SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import { DAY_MS, dateOf, dayBefore } from './dates.ts';

export interface ReportSources {
  readonly projects: ProjectsStore;
  readonly snapshots: SnapshotsStore;
  readonly items: WorkItemsStore;
  readonly runs: JobHistoryStore;
}

/**
 * Gathers the report's data as of `now`: snapshots now and a week before, the organisation's at the end of each
 * earlier trend week, open critical bugs, the week's runs.
 */
export async function buildWeeklyReport(deps: ReportSources, now: Date): Promise<WeeklyReport> {
  const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
  const projects: ProjectInput[] = [];
  const openCriticalBugs: Awaited<ReturnType<WorkItemsStore['listOpenBugs']>> = [];
  await forEachConcurrently(await deps.projects.listActive(), PROJECT_READ_CONCURRENCY, async (project) => {
    const [current, before, status, open] = await Promise.all([
      dailyAsOf(deps.snapshots, project.projectId, now),
      dailyAsOf(deps.snapshots, project.projectId, weekAgo),
      deps.snapshots.latestStatus(project.projectId, dateOf(now)),
      deps.items.listOpenBugs(project.projectId, now),
    ]);
    const { projectId, displayName, fullName } = project;
    projects.push({ projectId, displayName, fullName, current, weekAgo: before, status: status?.status });
    openCriticalBugs.push(...open.filter((bug) => bug.severity === 'critical'));
  });
  const earlierWeekEnds = Array.from({ length: TREND_WEEKS - 2 }, (_, index) => new Date(now.getTime() - (index + 2) * 7 * DAY_MS));
  const [organizationNow, organizationWeekAgo, runs, ...earlierWeeks] = await Promise.all([
    deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, now),
    deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, weekAgo),
    deps.runs.listScheduledBetween(weekAgo, now),
    ...earlierWeekEnds.map((end) => deps.snapshots.latestHourly(ORGANIZATION_SNAPSHOT_ID, end)),
  ]);
  const organization = {
    current: organizationNow,
    weekAgo: organizationWeekAgo,
    earlierWeeks: earlierWeeks.filter((snapshot) => snapshot !== undefined),
  };
  return weeklyReport({ now, organization, projects, openCriticalBugs, runs });
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
  const report = await buildWeeklyReport(deps, run.now);
  const executionArn = StepEventSchema.safeParse(run.event).data?.executionArn;
  const consoleUrl = executionArn ? executionConsoleUrl(executionArn) : undefined;
  const email = renderReportEmail(report, deps.linkHost, { ...deps.settings, ...(consoleUrl ? { consoleUrl } : {}) });
  const week = report.week.id;
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
  if (!(await deps.snapshots.claimReport(week, new Date().toISOString()))) {
    const marker = await deps.snapshots.getReportMarker(week);
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
      await deps.snapshots.markReportUnknown(week, reason).catch(() => undefined);
      await note(`the ${week} report may or may not have been sent: ${reason}`, 'error');
      throw new ReportDeliveryUnknownError(
        `SES did not answer for the ${week} report (${reason}); it may have been sent, so it is not retried`,
        {
          cause: error,
        },
      );
    }
    // SES answered with an error: nothing was sent, so a later attempt may send.
    await deps.snapshots.releaseReport(week).catch(() => undefined);
    await note(`the ${week} report was not sent: ${reason}`, 'error');
    if (error instanceof Error && PERMANENT_SES_ERRORS.has(error.name)) {
      throw new ReportRejectedError(`SES rejected the ${week} report from ${deps.sender}: ${reason}`, { cause: error });
    }
    throw new TransientError(`SES did not take the ${week} report: ${reason}`, { cause: error });
  }
  // Sent: a failure to record it leaves the claim in place, which still stops a second email.
  await deps.snapshots.markReportSent(week, messageId ?? 'unknown', new Date().toISOString()).catch(() => undefined);
  const summary = `sent the ${week} report to ${deps.recipients.length} recipient(s): ${email.subject}${await keep(deps.recipients)}`;
  await note(summary);
  return { recordsProcessed: 1, recordsFailed: 0, summary };
}
