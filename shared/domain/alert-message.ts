/**
 * One hourly run's alert notices as each channel shows them: an SNS message (plain text, ASCII
 * subject), an email (HTML and text) and a Slack message. One message per run and channel, so a burst of
 * new alerts pages once. Every string from GitHub goes through the channel's neutraliser. Pure.
 */
import type { AlertNotice, AlertRule, AlertSource, NoticeKind } from './alerts.ts';
import { escapeHtml, plainText, safeLink, slackText, withoutAutoLinks } from './untrusted-text.ts';

/** The notices of one run, as stored in the outbox (capped, with counts of all). */
export interface AlertDigest {
  readonly runId: string;
  readonly source: AlertSource;
  /** The run's scheduled time. */
  readonly at: string;
  /** The most urgent notices, at most {@link DIGEST_NOTICE_LIMIT}. */
  readonly notices: readonly AlertNotice[];
  readonly counts: Readonly<Record<NoticeKind, number>>;
  /** The organisation's revenue at risk, for the bug rules' notices. */
  readonly revenueAtRisk?: number;
}

/** Notices kept in a digest: enough for any message, small enough for one DynamoDB item. */
export const DIGEST_NOTICE_LIMIT = 100;
/** Notices listed in an SNS or Slack message; the rest are counted. */
const SHORT_LIST = 20;
const TITLE_LENGTH = 100;

const CELL = 'padding:6px 8px;border-bottom:1px solid #d0d7de';

const KIND_LABELS: Record<NoticeKind, string> = { fired: 'NEW', worse: 'WORSE', reminder: 'STILL FIRING', resolved: 'RESOLVED' };

export function digestOf(
  runId: string,
  at: string,
  notices: readonly AlertNotice[],
  revenueAtRisk?: number,
  source: AlertSource = 'bugs',
): AlertDigest {
  const counts: Record<NoticeKind, number> = { fired: 0, worse: 0, reminder: 0, resolved: 0 };
  for (const notice of notices) counts[notice.kind]++;
  return {
    runId,
    source,
    at,
    notices: notices.slice(0, DIGEST_NOTICE_LIMIT),
    counts,
    ...(revenueAtRisk === undefined ? {} : { revenueAtRisk }),
  };
}

export function noticeCount(digest: AlertDigest): number {
  return Object.values(digest.counts).reduce((sum, count) => sum + count, 0);
}

/** SNS refuses a subject of 100 characters or more. */
const MAX_SUBJECT_LENGTH = 99;

/** ASCII only, one line, under 100 characters (SNS's rule for subjects), built from our own numbers only. */
export function alertSubject(digest: AlertDigest): string {
  const parts = (['fired', 'worse', 'reminder', 'resolved'] as const)
    .filter((kind) => digest.counts[kind] > 0)
    .map((kind) => `${digest.counts[kind]} ${{ fired: 'new', worse: 'worse', reminder: 'still firing', resolved: 'resolved' }[kind]}`);
  const prefix = digest.source === 'jobs' ? 'CTO dashboard jobs' : 'CTO dashboard alerts';
  const atRisk = digest.revenueAtRisk === undefined ? '' : ` (${formatDollars(digest.revenueAtRisk)}/day at risk)`;
  const full = `${prefix}: ${parts.join(', ')}${atRisk}`;
  if (full.length <= MAX_SUBJECT_LENGTH) return full;
  return `${prefix}: ${noticeCount(digest)} changes${atRisk}`.slice(0, MAX_SUBJECT_LENGTH);
}

export function snsMessage(digest: AlertDigest, linkHost: string): { subject: string; message: string } {
  return { subject: alertSubject(digest), message: textBody(digest, linkHost, SHORT_LIST) };
}

export function emailMessage(digest: AlertDigest, linkHost: string): { subject: string; html: string; text: string } {
  const rows = digest.notices.map((notice) => {
    const link = safeLink(notice.alert.url, linkHost);
    const title = escapeHtml(titleOf(notice));
    const linked = link ? `<a href="${escapeHtml(link)}" style="color:#0969da">${title}</a>` : title;
    const about = notice.alert.projectId ? `${escapeHtml(notice.alert.projectId)}#${notice.alert.number}: ${linked}` : title;
    return (
      '<tr>' +
      `<td style="${CELL};font-weight:bold;white-space:nowrap;vertical-align:top">${KIND_LABELS[notice.kind]}</td>` +
      `<td style="${CELL};vertical-align:top">${escapeHtml(ruleLabel(notice))}<br>${about}<br>` +
      `<span style="color:#57606a">${escapeHtml(detailsOf(notice, digest.at))}</span></td>` +
      '</tr>'
    );
  });
  const more = omitted(digest, digest.notices.length);
  const html =
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"></head>' +
    '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328">' +
    '<table role="presentation" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;border-collapse:collapse">' +
    `<tr><td colspan="2" style="padding:8px;font-size:18px;font-weight:bold">${escapeHtml(alertSubject(digest))}</td></tr>` +
    rows.join('') +
    (more > 0 ? `<tr><td colspan="2" style="padding:8px">…and ${more} more</td></tr>` : '') +
    '</table></body></html>';
  return { subject: alertSubject(digest), html, text: textBody(digest, linkHost, digest.notices.length) };
}

/** A Slack incoming-webhook payload: a plain `text` fallback and mrkdwn blocks, every GitHub string escaped. */
export function slackMessage(digest: AlertDigest, linkHost: string): { text: string; blocks: unknown[] } {
  const listed = digest.notices.slice(0, SHORT_LIST);
  const lines = listed.map((notice) => {
    const link = safeLink(notice.alert.url, linkHost);
    const title = slackText(titleOf(notice));
    const linked = link ? `<${link.replace(/[<>|]/g, encodeURIComponent)}|${title}>` : title;
    const about = notice.alert.projectId ? `${slackText(notice.alert.projectId)}#${notice.alert.number} ${linked}` : title;
    return `*${KIND_LABELS[notice.kind]}* ${slackText(ruleLabel(notice))}: ${about}\n${slackText(detailsOf(notice, digest.at))}`;
  });
  const more = omitted(digest, listed.length);
  return {
    text: slackText(alertSubject(digest)),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'CTO dashboard alerts' } },
      { type: 'section', text: { type: 'mrkdwn', text: slackText(alertSubject(digest)) } },
      ...lines.map((line) => ({ type: 'section', text: { type: 'mrkdwn', text: line } })),
      ...(more > 0 ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${more} more` }] }] : []),
    ],
  };
}

function textBody(digest: AlertDigest, linkHost: string, limit: number): string {
  const listed = digest.notices.slice(0, limit);
  const lines = listed.map((notice) => {
    const about = notice.alert.projectId ? `${plainText(notice.alert.projectId)}#${notice.alert.number} ` : '';
    const link = safeLink(notice.alert.url, linkHost);
    return [
      `${KIND_LABELS[notice.kind]}: ${ruleLabel(notice)}`,
      `  ${about}${titleOf(notice)}`,
      `  ${detailsOf(notice, digest.at)}`,
      ...(link ? [`  ${link}`] : []),
    ].join('\n');
  });
  const more = omitted(digest, listed.length);
  return [alertSubject(digest), '', ...lines, ...(more > 0 ? [`…and ${more} more`] : [])].join('\n');
}

/** A title as every channel shows it: one line, cut to length, unable to become a link. */
function titleOf(notice: AlertNotice): string {
  return withoutAutoLinks(plainText(notice.alert.title, TITLE_LENGTH));
}

const RULE_LABELS: Record<AlertRule, (severity: string) => string> = {
  unassigned_critical: (severity) => `Unassigned ${severity} bug`,
  sla_breach: (severity) => `${severity.charAt(0).toUpperCase()}${severity.slice(1)} bug past its SLA`,
  revenue_at_risk: () => 'Revenue at risk',
  project_stale: () => 'Project data not confirmed',
  consecutive_failures: () => 'Job failing run after run',
  long_run: () => 'Job run over its time limit',
  stuck_run: () => 'Job run stuck',
  missed_run: () => 'Scheduled run missed',
  late_run: () => 'Scheduled run started late',
  project_sync_failing: () => 'Project failing to sync',
  failure_rate: () => 'Job failing often',
  low_success_rate: () => 'Job success rate below its alert line',
  runtime_anomaly: () => 'Job run far from its usual duration',
  ran_too_often: () => 'Job ran more often than its schedule allows',
  skipped_runs: () => 'Job runs skipped',
};

function ruleLabel(notice: AlertNotice): string {
  return RULE_LABELS[notice.alert.rule](notice.alert.severity ?? '');
}

function detailsOf(notice: AlertNotice, at: string): string {
  const { alert } = notice;
  if (alert.rule === 'revenue_at_risk') return `${formatDollars(alert.value)}/day across all projects`;
  if (alert.detail) return alert.detail;
  const age = alert.openedAt ? `open ${durationOf(Date.parse(at) - Date.parse(alert.openedAt))}` : '';
  return [alert.severity, `${formatDollars(alert.value)}/day`, age].filter(Boolean).join(', ');
}

function omitted(digest: AlertDigest, listed: number): number {
  return noticeCount(digest) - listed;
}

/** `$12,345.5`: dollars with thousands separators and at most two decimals. */
export function formatDollars(amount: number): string {
  return `$${amount.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
}

function durationOf(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 48 ? `${Math.floor(hours / 24)}d ${hours % 24}h` : `${hours}h`;
}
