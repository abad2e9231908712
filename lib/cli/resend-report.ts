/**
 * `cto-jobs resend-report <week>`: the one way out of a weekly report marked `unknown` (SES gave no answer, so it may
 * have gone out; the weekly job never sends it again by itself). Shows what is known, and sends once only after the
 * operator confirms it was not delivered (SES's sending activity, or the recipients, tell).
 */
import { renderReportEmail } from '../../shared/domain/report-email.ts';
import { sendEmail } from '../../shared/notify/email.ts';
import { buildWeeklyReport, type ReportSources, type SendReportDependencies } from '../../shared/weekly/weekly-report.ts';
import { UsageError } from './arguments.ts';

const ISO_WEEK = /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/;

/** The ISO week a report's once-per-week marker is kept under (the week it was sent in). */
export function isoWeekArgumentOf(value: string | undefined): string {
  if (value === undefined || !ISO_WEEK.test(value)) {
    throw new UsageError(`resend-report needs an ISO week such as 2026-W48, got ${JSON.stringify(value ?? '')}`);
  }
  return value;
}

/** What the weekly step sends the report with, but the local outbox: a resend always goes out through SES. */
export type ResendDependencies = Omit<SendReportDependencies, 'outboxDirectory'>;

/**
 * Resends the week's report if its marker is `unknown` and `confirmNotDelivered`, shown what is known, says yes.
 * @param options.confirmNotDelivered shows what is known and answers whether the operator confirmed it was not delivered.
 * @returns the outcome's lines to print, and whether it was sent.
 */
export async function resendReport(
  deps: ResendDependencies,
  week: string,
  options: { readonly now: Date; readonly confirmNotDelivered: (known: readonly string[]) => Promise<boolean> },
): Promise<{ readonly lines: readonly string[]; readonly sent: boolean }> {
  // The marker keeps SES's last word as `reason` beside its status (markReportUnknown).
  const marker = (await deps.snapshots.getReportMarker(week)) as
    | (Awaited<ReturnType<ReportSources['snapshots']['getReportMarker']>> & { readonly reason?: string })
    | undefined;
  if (marker?.status !== 'unknown') {
    const state = marker ? `is marked ${marker.status} (since ${marker.claimedAt})` : 'was never sent or attempted';
    return { lines: [`the report sent in ${week} ${state}: only a report marked unknown is resent`], sent: false };
  }
  if (deps.recipients.length === 0 || !deps.sender) {
    return { lines: [`the report of ${week} has no recipients or no sender configured (report.recipients, report.sender)`], sent: false };
  }
  // Built as of the original attempt, so it covers the same week with what is known now.
  const report = await buildWeeklyReport(deps, new Date(marker.claimedAt), deps.timeZone);
  const email = renderReportEmail(report, deps.linkHost, deps.settings);
  const known = [
    `the report sent in ${week} (covering ${report.week.id}) may or may not have been delivered:`,
    `  attempted  ${marker.claimedAt}`,
    `  SES error  ${marker.reason ?? 'none recorded'}`,
    `  from       ${deps.sender}`,
    `  to         ${deps.recipients.join(', ')}`,
    `  subject    ${email.subject}`,
  ];
  if (!(await options.confirmNotDelivered(known))) {
    return { lines: ['not sent: delivery was not confirmed missing (--confirm-not-delivered, or y on a terminal)'], sent: false };
  }
  const messageId = await sendEmail(deps.ses, { sender: deps.sender, recipients: deps.recipients, ...email });
  const at = options.now.toISOString();
  await deps.snapshots.markReportSent(week, messageId ?? 'unknown', at);
  const summary = `resent the ${report.week.id} report (marker ${week}) to ${deps.recipients.length} recipient(s) by hand: ${email.subject}`;
  await deps.events.append({ runId: `weekly_report#resend#${week}`, timestamp: at, eventType: 'report', level: 'info', message: summary });
  return { lines: [summary], sent: true };
}
