/**
 * The weekly report as an email: HTML that email clients render (table layout, inline CSS, at most 600 px
 * wide, readable on a phone) and a plain-text alternative. Every string from GitHub is escaped, and
 * links go only to the configured GitHub host. Pure.
 */
import { formatDollars } from './alert-message.ts';
import { escapeHtml, plainText, safeLink, withoutAutoLinks } from './untrusted-text.ts';
import type { Kpi, WeeklyReport } from './weekly-report.ts';

export interface ReportEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

const TITLE_LENGTH = 90;
const STATUS_COLORS = { healthy: '#1a7f37', warning: '#9a6700', critical: '#cf222e', unknown: '#57606a' } as const;
const CELL = 'padding:6px 4px;border-bottom:1px solid #d0d7de;vertical-align:top;overflow-wrap:anywhere;word-break:break-word';
const HEADER_CELL = 'padding:6px 4px;border-bottom:2px solid #d0d7de;text-align:left;font-size:12px;color:#57606a';
const SECTION = 'padding:20px 0 6px 0;font-size:17px;font-weight:bold';

export function reportSubject(report: WeeklyReport): string {
  const revenue = report.kpis[0]!;
  const critical = report.kpis.find((kpi) => kpi.label === 'Open critical bugs')!;
  const change = revenue.previous ? ` (${signedPercent(revenue.value, revenue.previous)})` : '';
  return (
    `CTO weekly report, week to ${report.weekEnd.slice(0, 10)}: ${formatDollars(revenue.value)}/day at risk${change}, ` +
    `${critical.value} critical bugs, ${report.statusCounts.critical} projects critical`
  );
}

export function renderReportEmail(report: WeeklyReport, linkHost: string): ReportEmail {
  const subject = reportSubject(report);
  return { subject, html: reportHtml(report, subject, linkHost), text: reportText(report, subject, linkHost) };
}

function reportHtml(report: WeeklyReport, subject: string, linkHost: string): string {
  const title = (text: string) => escapeHtml(inertText(text, TITLE_LENGTH));
  const table = (headers: readonly string[], rows: readonly string[], widths: readonly string[]) =>
    tableTag('width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px') +
    `<tr>${headers.map((header, index) => `<th style="${HEADER_CELL};width:${widths[index]}">${header}</th>`).join('')}</tr>` +
    rows.join('') +
    '</table>';
  const cell = (content: string, align = 'left') => `<td style="${CELL};text-align:${align}">${content}</td>`;

  const kpis = report.kpis.map(
    (kpi) =>
      `<tr>${cell(escapeHtml(kpi.label))}${cell(`<b>${formatKpi(kpi.value, kpi)}</b>`, 'right')}${cell(changeHtml(kpi), 'right')}</tr>`,
  );
  const projects = report.projects.map((project) => {
    const change = project.scoreChange === undefined ? '' : ` <span style="color:#57606a">(${signed(project.scoreChange)})</span>`;
    return (
      '<tr>' +
      cell(title(project.displayName)) +
      cell(project.score === undefined ? '–' : `${project.score}${change}`, 'right') +
      cell(`<span style="color:${STATUS_COLORS[project.status]};font-weight:bold">${project.status}</span>`) +
      cell(String(project.openCritical), 'right') +
      cell(formatDollars(project.revenueAtRisk), 'right') +
      '</tr>'
    );
  });
  const bugs = report.criticalBugs.map((bug) => {
    const link = safeLink(bug.url, linkHost);
    const name = title(bug.title);
    return (
      '<tr>' +
      cell(link ? `<a href="${escapeHtml(link)}" style="color:#0969da">${name}</a>` : name) +
      cell(`${escapeHtml(inertText(bug.projectId, 60))}#${bug.number}`) +
      cell(`${bug.ageDays} d`, 'right') +
      cell(formatDollars(bug.revenueImpact), 'right') +
      '</tr>'
    );
  });
  const reliability = report.reliability.map(
    (job) =>
      '<tr>' +
      cell(job.jobType) +
      cell(String(job.runs), 'right') +
      cell(job.successRate === undefined ? '–' : `${(job.successRate * 100).toFixed(1)}%`, 'right') +
      cell(job.averageDurationMs === undefined ? '–' : `${(job.averageDurationMs / 1000).toFixed(1)} s`, 'right') +
      cell(`${job.failed} / ${job.timeouts}`, 'right') +
      '</tr>',
  );
  const { merged, previousMerged, medianHoursToMerge } = report.pullRequests;
  const weekBefore = previousMerged === undefined ? '' : ` (${previousMerged} the week before)`;
  const medianToMerge = medianHoursToMerge === undefined ? '–' : `${medianHoursToMerge} h`;
  const section = (heading: string, body: string) => `<tr><td style="${SECTION}">${heading}</td></tr><tr><td>${body}</td></tr>`;
  const note = (text: string) => `<p style="margin:6px 0;color:#57606a;font-size:12px">${text}</p>`;

  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(subject)}</title></head>` +
    '<body style="margin:0;padding:0;background:#f6f8fa">' +
    tableTag('width:100%;border-collapse:collapse') +
    '<tr><td align="center" style="padding:12px 8px">' +
    tableTag(
      'width:100%;max-width:600px;border-collapse:collapse;background:#ffffff;font-family:Arial,Helvetica,sans-serif;color:#1f2328',
    ) +
    `<tr><td style="padding:16px 12px 4px 12px;font-size:20px;font-weight:bold">CTO weekly report</td></tr>` +
    `<tr><td style="padding:0 12px;color:#57606a;font-size:13px">${weekOf(report)} · ${statusSummary(report)} projects</td></tr>` +
    '<tr><td style="padding:0 12px 16px 12px">' +
    tableTag('width:100%;border-collapse:collapse') +
    section('Headline figures', table(['figure', 'this week', 'vs last week'], kpis, ['52%', '24%', '24%'])) +
    section(
      'Projects, worst first',
      table(['project', 'health', 'status', 'critical', 'at risk/day'], projects, ['34%', '17%', '17%', '12%', '20%']) +
        (report.projectsOmitted > 0 ? note(`…and ${report.projectsOmitted} healthier projects.`) : '') +
        (report.projects.length === 0 ? note('No projects yet.') : ''),
    ) +
    section(
      `Top critical bugs (${report.criticalBugsTotal} open)`,
      report.criticalBugs.length === 0
        ? note('No critical bugs are open.')
        : table(['bug', 'project', 'age', 'impact/day'], bugs, ['46%', '26%', '10%', '18%']),
    ) +
    section(
      'Pull requests',
      `<p style="margin:6px 0;font-size:13px">${merged} merged this week${weekBefore}; median time to merge ${medianToMerge}.</p>`,
    ) +
    section(
      'Job reliability',
      table(['job', 'runs', 'success', 'avg time', 'failed / timed out'], reliability, ['30%', '12%', '18%', '18%', '22%']),
    ) +
    '</table></td></tr></table></td></tr></table></body></html>'
  );
}

function reportText(report: WeeklyReport, subject: string, linkHost: string): string {
  const lines = [subject, '', weekOf(report), '', 'HEADLINE FIGURES'];
  for (const kpi of report.kpis) {
    const lastWeek = kpi.previous === undefined ? '' : ` (last week ${formatKpi(kpi.previous, kpi)}, ${signedChange(kpi)})`;
    lines.push(`  ${kpi.label}: ${formatKpi(kpi.value, kpi)}${lastWeek}`);
  }
  lines.push('', `PROJECTS, WORST FIRST (${statusSummary(report)})`);
  for (const project of report.projects) {
    const score =
      project.score === undefined
        ? 'no score'
        : `health ${project.score}${project.scoreChange === undefined ? '' : ` (${signed(project.scoreChange)})`}`;
    const atRisk = `${formatDollars(project.revenueAtRisk)}/day at risk`;
    lines.push(`  ${inertText(project.displayName, 60)}: ${project.status}, ${score}, ${project.openCritical} critical, ${atRisk}`);
  }
  if (report.projectsOmitted > 0) lines.push(`  …and ${report.projectsOmitted} healthier projects`);
  lines.push('', `TOP CRITICAL BUGS (${report.criticalBugsTotal} open)`);
  for (const bug of report.criticalBugs) {
    const link = safeLink(bug.url, linkHost);
    const impact = `(${bug.ageDays} d, ${formatDollars(bug.revenueImpact)}/day)`;
    lines.push(
      `  ${inertText(bug.projectId, 60)}#${bug.number} ${inertText(bug.title, TITLE_LENGTH)} ${impact}${link ? `\n    ${link}` : ''}`,
    );
  }
  const { merged, medianHoursToMerge } = report.pullRequests;
  const medianToMerge = medianHoursToMerge === undefined ? '-' : `${medianHoursToMerge} h`;
  lines.push('', 'PULL REQUESTS', `  ${merged} merged, median time to merge ${medianToMerge}`);
  lines.push('', 'JOB RELIABILITY');
  for (const job of report.reliability) {
    const rate = job.successRate === undefined ? '-' : `${(job.successRate * 100).toFixed(1)}%`;
    const duration = job.averageDurationMs === undefined ? '-' : `${(job.averageDurationMs / 1000).toFixed(1)} s`;
    lines.push(
      `  ${job.jobType}: ${job.runs} runs, ${rate} succeeded, average ${duration}, ${job.failed} failed, ${job.timeouts} timed out`,
    );
  }
  return lines.join('\n');
}

/** The opening tag of a table: its width and spacing also as attributes, for email clients that ignore CSS. */
function tableTag(style: string): string {
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="${style}">`;
}

/** Text from GitHub as one line of at most `maxLength` characters that no client turns into a link. */
function inertText(text: string, maxLength: number): string {
  return withoutAutoLinks(plainText(text, maxLength));
}

function weekOf(report: WeeklyReport): string {
  return `Week ${report.weekStart.slice(0, 10)} to ${report.weekEnd.slice(0, 10)}`;
}

function statusSummary({ statusCounts }: WeeklyReport): string {
  return `${statusCounts.healthy} healthy, ${statusCounts.warning} warning, ${statusCounts.critical} critical`;
}

function formatKpi(value: number, kpi: Kpi): string {
  return kpi.unit === 'dollars_per_day' ? `${formatDollars(value)}/day` : value.toLocaleString('en-US');
}

function changeHtml(kpi: Kpi): string {
  if (kpi.previous === undefined) return '<span style="color:#57606a">–</span>';
  const delta = kpi.value - kpi.previous;
  const good = delta === 0 ? undefined : delta > 0 === kpi.higherIsBetter;
  const color = good === undefined ? '#57606a' : good ? '#1a7f37' : '#cf222e';
  return `<span style="color:${color}">${escapeHtml(signedChange(kpi))}</span>`;
}

function signedChange(kpi: Kpi): string {
  const delta = kpi.value - kpi.previous!;
  const amount = kpi.unit === 'dollars_per_day' ? `${delta < 0 ? '−' : '+'}${formatDollars(Math.abs(delta))}` : signed(delta);
  return kpi.previous ? `${amount}, ${signedPercent(kpi.value, kpi.previous)}` : amount;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${Math.abs(value)}` : '±0';
}

function signedPercent(value: number, previous: number): string {
  const percent = Math.round(((value - previous) / previous) * 100);
  return percent > 0 ? `+${percent}%` : percent < 0 ? `−${Math.abs(percent)}%` : '±0%';
}
