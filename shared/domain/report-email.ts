/**
 * The weekly report as an email: HTML that email clients render (table layout, inline CSS, at most 600 px
 * wide, readable on a phone; trends drawn as table cells, no images or SVG) and a plain-text alternative with the
 * same content. Every string from GitHub is escaped, and links go only to the configured GitHub host and the
 * configured dashboard and console URLs. Pure.
 */
import { formatDollars } from './alert-message.ts';
import { SUCCESS_RATE_TARGET_PERCENT, type SuccessRate } from './job-run-rules.ts';
import { breakable, escapeHtml, plainText, safeLink, withoutAutoLinks } from './untrusted-text.ts';
import type { Kpi, ProjectRow, Trend, WeeklyReport } from './weekly-report.ts';

export interface ReportEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** What the deployment says about itself in the email; each optional. */
export interface ReportSettings {
  /** Shown in the header band. @default no name, "CTO weekly report" alone */
  readonly organizationName?: string;
  /** The CTO dashboard (https). */
  readonly dashboardUrl?: string;
  /** The weekly job's runs in the Step Functions console (https). */
  readonly consoleUrl?: string;
  /** Who to ask to change the recipients, named in the footer. @default whoever deploys the jobs */
  readonly contact?: string;
}

const TITLE_LENGTH = 90;
const MUTED = '#57606a';
const LINK = 'color:#0969da;text-decoration:none';
const STATUS_COLORS = { healthy: '#1a7f37', warning: '#9a6700', critical: '#cf222e', unknown: MUTED } as const;
const CELL = 'padding:6px 4px;border-bottom:1px solid #d0d7de;vertical-align:top';
/** Names may break anywhere only when a part between sensible break points is wider than its column (a hostile 90-letter word). */
const NAME_CELL = `${CELL};overflow-wrap:anywhere`;
const HEADER_CELL = `padding:6px 4px;border-bottom:2px solid #d0d7de;font-size:12px;color:${MUTED};font-weight:bold`;
const SECTION = 'padding:20px 0 6px 0;font-size:17px;font-weight:bold';
const NOTE = `margin:6px 0;color:${MUTED};font-size:12px`;
const TREND_BAR_HEIGHT = 40;

interface Column {
  readonly header: string;
  readonly width: string;
  readonly numeric?: boolean;
}

export function reportSubject(report: WeeklyReport): string {
  return `CTO weekly report ${report.week.label}: ${reportVerdict(report)}`;
}

/** One line a reader can stop at: `2 projects need attention; revenue at risk up 43% to $7,700/day; 2 critical bugs open`. */
export function reportVerdict(report: WeeklyReport): string {
  const { critical, warning, healthy, unknown } = report.statusCounts;
  const attention = critical + warning;
  const projects =
    attention > 0
      ? `${plural(attention, 'project')} ${attention === 1 ? 'needs' : 'need'} attention`
      : healthy > 0
        ? `all ${plural(healthy, 'rated project')} healthy`
        : unknown > 0
          ? `${plural(unknown, 'project')} not rated yet`
          : 'no projects yet';
  const revenue = report.kpis[0]!;
  const amount = formatKpi(revenue.value, revenue);
  const revenueTrend =
    revenue.previous === undefined
      ? `revenue at risk ${amount}`
      : revenue.value === revenue.previous
        ? `revenue at risk unchanged at ${amount}`
        : revenue.previous === 0
          ? `revenue at risk up from $0 to ${amount}`
          : `revenue at risk ${revenue.value > revenue.previous ? 'up' : 'down'} ` +
            `${percentChange(revenue.value, revenue.previous)}% to ${amount}`;
  return `${projects}; ${revenueTrend}; ${plural(report.criticalBugsTotal, 'critical bug')} open`;
}

/**
 * Renders the report.
 * @param linkHost the GitHub web host projects and bugs link to (githubWebHostOf); any other host gets no link.
 */
export function renderReportEmail(report: WeeklyReport, linkHost: string, settings: ReportSettings = {}): ReportEmail {
  const subject = reportSubject(report);
  const links = {
    dashboard: httpsUrl(settings.dashboardUrl),
    console: httpsUrl(settings.consoleUrl),
    project: (project: ProjectRow) => projectLink(project, linkHost),
    bug: (url: string) => safeLink(url, linkHost),
  };
  return { subject, html: reportHtml(report, subject, settings, links), text: reportText(report, subject, settings, links) };
}

interface Links {
  readonly dashboard?: string;
  readonly console?: string;
  readonly project: (project: ProjectRow) => string | undefined;
  readonly bug: (url: string) => string | undefined;
}

function reportHtml(report: WeeklyReport, subject: string, settings: ReportSettings, links: Links): string {
  const header = (column: Column) =>
    `<th style="${HEADER_CELL};text-align:${column.numeric ? 'right' : 'left'};width:${column.width}">${column.header}</th>`;
  const table = (columns: readonly Column[], rows: readonly string[]) =>
    tableTag('width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px') +
    `<tr>${columns.map(header).join('')}</tr>` +
    rows.join('') +
    '</table>';
  const name = (content: string) => `<td style="${NAME_CELL};text-align:left">${content}</td>`;
  const text = (content: string) => `<td style="${CELL};text-align:left">${content}</td>`;
  const number = (content: string) => `<td style="${CELL};text-align:right">${content}</td>`;
  const anchor = (href: string | undefined, content: string) =>
    href ? `<a href="${escapeHtml(href)}" style="${LINK}">${content}</a>` : content;
  const small = (content: string, color = MUTED) => `<br><span style="font-size:12px;color:${color}">${content}</span>`;

  const firstWeek = report.kpis.every((kpi) => kpi.previous === undefined);
  const kpiColumns: Column[] = [
    { header: 'figure', width: firstWeek ? '64%' : '44%' },
    { header: 'this week', width: firstWeek ? '36%' : '24%', numeric: true },
    ...(firstWeek ? [] : [{ header: 'vs last week', width: '32%', numeric: true }]),
  ];
  // Dollar figures say "per day" once, in their label: the column stays narrow enough for a phone.
  const kpis = report.kpis.map(
    (kpi) =>
      `<tr>${text(escapeHtml(kpi.unit === 'dollars_per_day' ? `${kpi.label} per day` : kpi.label))}` +
      `${number(`<b>${nowrap(kpi.unit === 'dollars_per_day' ? formatDollars(kpi.value) : formatKpi(kpi.value, kpi))}</b>`)}` +
      `${firstWeek ? '' : number(changeHtml(kpi))}</tr>`,
  );
  const projects = report.projects.map((project) => {
    const change = project.scoreChange === undefined ? '' : small(nowrap(arrowed(project.scoreChange, signed(project.scoreChange))));
    const where = project.fullName ? ` · ${breakable(inertText(project.fullName, 100))}` : '';
    const status = `<span style="color:${STATUS_COLORS[project.status]};font-weight:bold">${project.status}</span>`;
    return (
      '<tr>' +
      name(anchor(links.project(project), breakable(inertText(project.displayName, TITLE_LENGTH))) + small(status + where)) +
      number(project.score === undefined ? '–' : `${project.score}${change}`) +
      number(String(project.openCritical)) +
      number(nowrap(formatDollars(project.revenueAtRisk))) +
      '</tr>'
    );
  });
  const bugs = report.criticalBugs.map(
    (bug) =>
      '<tr>' +
      name(
        anchor(links.bug(bug.url), breakable(inertText(bug.title, TITLE_LENGTH))) +
          small(breakable(`${inertText(bug.projectId, 100)}#${bug.number}`)),
      ) +
      number(nowrap(`${bug.ageDays} d`)) +
      number(nowrap(formatDollars(bug.revenueImpact))) +
      '</tr>',
  );
  const reliability = report.reliability.map(
    (job) =>
      '<tr>' +
      text(escapeHtml(job.jobType)) +
      number(String(job.runs)) +
      number(job.successRate.percent === null ? '–' : `${job.successRate.percent.toFixed(1)}%`) +
      number(job.averageDurationMs === undefined ? '–' : nowrap(`${(job.averageDurationMs / 1000).toFixed(1)} s`)) +
      number(nowrap(`${job.failed} / ${job.timeouts}`)) +
      '</tr>',
  );
  const { merged, previousMerged, medianHoursToMerge } = report.pullRequests;
  const weekBefore = previousMerged === undefined ? '' : ` (${previousMerged} the week before)`;
  const medianToMerge = medianHoursToMerge === undefined ? '–' : `${medianHoursToMerge} h`;
  const section = (heading: string, body: string) => `<tr><td style="${SECTION}">${heading}</td></tr><tr><td>${body}</td></tr>`;
  const note = (content: string) => `<p style="${NOTE}">${content}</p>`;
  const trends = report.trends.filter((trend) => trend.points.filter((point) => point.value !== undefined).length >= 2);
  const headerLinks = [
    links.dashboard && `<a href="${escapeHtml(links.dashboard)}" style="color:#ffffff">Open the dashboard</a>`,
    links.console && `<a href="${escapeHtml(links.console)}" style="color:#ffffff">Runs in the Step Functions console</a>`,
  ].filter(Boolean);

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
    `<tr><td bgcolor="#24292f" style="background:#24292f;color:#ffffff;padding:16px 12px">` +
    `<span style="font-size:13px;color:#d0d7de">${escapeHtml(headerName(settings))}</span><br>` +
    `<span style="font-size:20px;font-weight:bold">${escapeHtml(report.week.label)}</span>` +
    (headerLinks.length > 0 ? `<br><span style="font-size:13px">${headerLinks.join(' · ')}</span>` : '') +
    '</td></tr>' +
    '<tr><td style="padding:14px 12px 0 12px;font-size:16px;font-weight:bold">' +
    `${escapeHtml(capitalized(reportVerdict(report)))}.</td></tr>` +
    `<tr><td style="padding:4px 12px 0 12px;color:${MUTED};font-size:12px">${escapeHtml(periodOf(report))}</td></tr>` +
    '<tr><td style="padding:0 12px 16px 12px">' +
    tableTag('width:100%;border-collapse:collapse') +
    section(
      'Headline figures',
      table(kpiColumns, kpis) + (firstWeek ? note('First report: changes against the week before appear from next week on.') : ''),
    ) +
    (trends.length > 0 ? section(`Trends, last ${report.trends[0]!.points.length} weeks`, trends.map(trendHtml).join('')) : '') +
    section(
      'Projects, worst first',
      table(
        [
          { header: 'project', width: '44%' },
          { header: 'health', width: '16%', numeric: true },
          { header: 'critical bugs', width: '17%', numeric: true },
          { header: 'at risk per day', width: '23%', numeric: true },
        ],
        projects,
      ) +
        (report.projectsOmitted > 0 ? note(`…and ${report.projectsOmitted} healthier projects.`) : '') +
        (report.projects.length === 0 ? note('No projects yet.') : ''),
    ) +
    section(
      `Top critical bugs (${report.criticalBugsTotal} open)`,
      report.criticalBugs.length === 0
        ? note('No critical bugs are open.')
        : table(
            [
              { header: 'bug', width: '58%' },
              { header: 'age', width: '16%', numeric: true },
              { header: 'impact per day', width: '26%', numeric: true },
            ],
            bugs,
          ),
    ) +
    section(
      'Pull requests',
      `<p style="margin:6px 0;font-size:13px">${merged} merged this week${weekBefore}; median time to merge ${medianToMerge}.</p>`,
    ) +
    section(
      'Job reliability',
      table(
        [
          { header: 'job', width: '34%' },
          { header: 'runs', width: '12%', numeric: true },
          { header: 'success', width: '18%', numeric: true },
          { header: 'avg time', width: '16%', numeric: true },
          { header: 'failed / timed out', width: '20%', numeric: true },
        ],
        reliability,
      ) +
        note(
          escapeHtml(
            `Success: ${successSampleText(report)}. –: under ${report.successRateSample.minRuns} runs, not judged yet. ` +
              successTargetLine(report),
          ),
        ),
    ) +
    '</table></td></tr>' +
    `<tr><td style="padding:12px;border-top:1px solid #d0d7de;color:${MUTED};font-size:12px">${escapeHtml(footerOf(settings))}</td></tr>` +
    '</table></td></tr></table></body></html>'
  );
}

/**
 * A trend as bars every email client draws: one table cell per week whose height and background are the bar,
 * the values above and the weeks below.
 */
function trendHtml(trend: Trend): string {
  const highest = Math.max(1, ...trend.points.map((point) => point.value ?? 0));
  const last = trend.points.length - 1;
  const cells = (content: (point: Trend['points'][number], index: number) => string, style: string) =>
    `<tr>${trend.points.map((point, index) => `<td style="${style}">${content(point, index)}</td>`).join('')}</tr>`;
  const bar = (point: Trend['points'][number], index: number) => {
    const height = point.value ? Math.max(2, Math.round((point.value / highest) * TREND_BAR_HEIGHT)) : 1;
    const color = point.value === undefined || point.value === 0 ? '#d0d7de' : index === last ? '#cf222e' : '#ff8182';
    return (
      tableTag('width:100%;border-collapse:collapse') +
      `<tr><td height="${height}" bgcolor="${color}" ` +
      `style="height:${height}px;background:${color};font-size:0;line-height:0">&nbsp;</td></tr>` +
      '</table>'
    );
  };
  const values = trend.points.flatMap((point) => (point.value === undefined ? [] : [point.value]));
  return (
    `<p style="margin:10px 0 4px 0;font-size:13px"><b>${escapeHtml(trend.label)}</b>: ` +
    `${nowrap(formatTrendValue(values[0]!, trend))} → ${nowrap(formatTrendValue(values.at(-1)!, trend))}` +
    `${trend.unit === 'dollars_per_day' ? ' per day' : ''}</p>` +
    tableTag('width:100%;border-collapse:collapse;table-layout:fixed') +
    cells(
      (point) => (point.value === undefined ? '–' : escapeHtml(compactValue(point.value, trend))),
      `width:12.5%;padding:0 2px;text-align:center;font-size:10px;color:${MUTED}`,
    ) +
    cells(bar, `height:${TREND_BAR_HEIGHT}px;padding:0 2px;vertical-align:bottom`) +
    cells((point) => escapeHtml(point.week.slice(5)), `padding:2px 2px 0 2px;text-align:center;font-size:10px;color:${MUTED}`) +
    '</table>'
  );
}

function reportText(report: WeeklyReport, subject: string, settings: ReportSettings, links: Links): string {
  const lines = [
    subject,
    '',
    `${headerName(settings)} · ${report.week.label}`,
    `${capitalized(reportVerdict(report))}.`,
    periodOf(report),
  ];
  if (links.dashboard) lines.push(`Dashboard: ${links.dashboard}`);
  if (links.console) lines.push(`Step Functions console: ${links.console}`);
  lines.push('', 'HEADLINE FIGURES');
  for (const kpi of report.kpis) {
    const lastWeek = kpi.previous === undefined ? '' : ` (last week ${formatKpi(kpi.previous, kpi)}, ${signedChange(kpi)})`;
    lines.push(`  ${kpi.label}: ${formatKpi(kpi.value, kpi)}${lastWeek}`);
  }
  if (report.kpis.every((kpi) => kpi.previous === undefined)) {
    lines.push('  First report: changes against the week before appear from next week on.');
  }
  const trends = report.trends.filter((trend) => trend.points.filter((point) => point.value !== undefined).length >= 2);
  if (trends.length > 0) {
    lines.push('', `TRENDS, LAST ${report.trends[0]!.points.length} WEEKS (oldest first)`);
    for (const trend of trends) {
      const points = trend.points.map(
        (point) => `${point.week} ${point.value === undefined ? '-' : formatTrendValue(point.value, trend)}`,
      );
      lines.push(`  ${trend.label}: ${points.join(', ')}`);
    }
  }
  lines.push('', `PROJECTS, WORST FIRST (${statusSummary(report)})`);
  for (const project of report.projects) {
    const score =
      project.score === undefined
        ? 'no score'
        : `health ${project.score}${project.scoreChange === undefined ? '' : ` (${signed(project.scoreChange)})`}`;
    const atRisk = `${formatDollars(project.revenueAtRisk)}/day at risk`;
    const link = links.project(project);
    lines.push(
      `  ${inertText(project.displayName, 60)}: ${project.status}, ${score}, ${project.openCritical} critical, ${atRisk}` +
        (link ? `\n    ${link}` : ''),
    );
  }
  if (report.projectsOmitted > 0) lines.push(`  …and ${report.projectsOmitted} healthier projects`);
  lines.push('', `TOP CRITICAL BUGS (${report.criticalBugsTotal} open)`);
  for (const bug of report.criticalBugs) {
    const link = links.bug(bug.url);
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
    const duration = job.averageDurationMs === undefined ? '-' : `${(job.averageDurationMs / 1000).toFixed(1)} s`;
    lines.push(
      `  ${job.jobType}: ${job.runs} runs, average ${duration}, ${job.failed} failed, ${job.timeouts} timed out; ` +
        `success rate ${rateText(job.successRate, report.successRateSample.minRuns)}`,
    );
  }
  lines.push(`  Success rate: ${successSampleText(report)}.`);
  lines.push(`  ${successTargetLine(report)}`);
  lines.push('', '--', footerOf(settings));
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

/** Escaped text whose spaces do not break: a figure and its unit stay on one line. */
function nowrap(text: string): string {
  return escapeHtml(text).replace(/ /g, '&nbsp;');
}

/** A project's page on the GitHub host, when its name is a plain `owner/name`. */
function projectLink(project: ProjectRow, linkHost: string): string | undefined {
  if (!project.fullName || !/^[\w.-]+\/[\w.-]+$/.test(project.fullName)) return undefined;
  return safeLink(`https://${linkHost}/${project.fullName}`, linkHost);
}

/**
 * The Step Functions console's page of an execution (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`), in
 * the commercial partition. None for the local runtime's stand-in account, whose executions are in no console.
 */
export function executionConsoleUrl(executionArn: string): string | undefined {
  const match = /^arn:aws:states:([a-z0-9-]+):(\d{12}):execution:[^:]+:[^:]+$/.exec(executionArn);
  if (!match || /^0+$/.test(match[2]!)) return undefined;
  const region = match[1]!;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** A configured link, only as an https URL. */
function httpsUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function headerName(settings: ReportSettings): string {
  return settings.organizationName ? `${plainText(settings.organizationName, 60)} · CTO weekly report` : 'CTO weekly report';
}

function periodOf(report: WeeklyReport): string {
  return (
    `Figures for ${report.week.id}, Monday 00:00 to Sunday 24:00 in the schedules' time zone, against the week before; ` +
    'project statuses and the critical bug list as of sending.'
  );
}

function footerOf(settings: ReportSettings): string {
  const ask = settings.contact ? plainText(settings.contact, 120) : 'whoever deploys the CTO dashboard jobs';
  return (
    "You get this email because your address is in the CTO dashboard jobs' report recipients (report.recipients). " +
    `To be added or removed, ask ${ask}.`
  );
}

function statusSummary({ statusCounts }: WeeklyReport): string {
  return `${statusCounts.healthy} healthy, ${statusCounts.warning} warning, ${statusCounts.critical} critical`;
}

function formatKpi(value: number, kpi: Pick<Kpi, 'unit'>): string {
  return kpi.unit === 'dollars_per_day' ? `${formatDollars(value)}/day` : value.toLocaleString('en-US');
}

function formatTrendValue(value: number, trend: Trend): string {
  return trend.unit === 'dollars_per_day' ? formatDollars(value) : value.toLocaleString('en-US');
}

/** A bar's label in a column about 40 px wide: `$7.7k`, `$1.2M`, `12`. */
function compactValue(value: number, trend: Trend): string {
  const prefix = trend.unit === 'dollars_per_day' ? '$' : '';
  if (value >= 999_500) return `${prefix}${(value / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
  if (value >= 1000) return `${prefix}${(value / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  return `${prefix}${Math.round(value)}`;
}

/** The week-over-week change: an arrow and the change, green when it is good news and red when bad. */
function changeHtml(kpi: Kpi): string {
  if (kpi.previous === undefined) return `<span style="color:${MUTED}">no data</span>`;
  const delta = kpi.value - kpi.previous;
  const good = delta === 0 ? undefined : delta > 0 === kpi.higherIsBetter;
  const color = good === undefined ? MUTED : good ? '#1a7f37' : '#cf222e';
  const [amount, percent] = signedChange(kpi).split(', ');
  return `<span style="color:${color}">${nowrap(arrowed(delta, amount!))}${percent ? ` ${nowrap(`(${percent})`)}` : ''}</span>`;
}

function arrowed(delta: number, change: string): string {
  return `${delta > 0 ? '↑' : delta < 0 ? '↓' : '→'} ${change}`;
}

function signedChange(kpi: Kpi): string {
  const delta = kpi.value - kpi.previous!;
  const amount = kpi.unit === 'dollars_per_day' ? `${delta < 0 ? '−' : '+'}${formatDollars(Math.abs(delta))}` : signed(delta);
  return kpi.previous ? `${amount}, ${signedPercent(kpi.value, kpi.previous)}` : amount;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${Math.abs(value)}` : '±0';
}

function percentChange(value: number, previous: number): number {
  return Math.abs(Math.round(((value - previous) / previous) * 100));
}

function signedPercent(value: number, previous: number): string {
  const percent = Math.round(((value - previous) / previous) * 100);
  return percent > 0 ? `+${percent}%` : percent < 0 ? `−${Math.abs(percent)}%` : '±0%';
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What the success rates cover: the sample the on-call alert, the metric and the status page judge. */
function successSampleText(report: Pick<WeeklyReport, 'successRateSample'>): string {
  const { windowDays, minRuns } = report.successRateSample;
  return (
    `completed out of the ended runs of the ${windowDays} days to the week's end, or of the last ${minRuns} when fewer: ` +
    'the rate on-call sees'
  );
}

/** A job's success rate with what it covers, or how far it is from being judged. */
function rateText(rate: SuccessRate, minRuns: number): string {
  if (rate.percent === null) return `not judged yet (${rate.runs} of ${minRuns} runs)`;
  return `${rate.percent.toFixed(1)}% (${rate.completed} of ${rate.runs} since ${rate.since!.slice(0, 10)})`;
}

/** The success rates against the original system's target: which jobs fell short, or that none did. */
function successTargetLine(report: Pick<WeeklyReport, 'reliability'>): string {
  const short = report.reliability.flatMap(({ jobType, successRate: { percent } }) =>
    percent !== null && percent < SUCCESS_RATE_TARGET_PERCENT ? [`${jobType} ${percent.toFixed(1)}%`] : [],
  );
  const target = `Target: ${SUCCESS_RATE_TARGET_PERCENT}% of runs succeed`;
  return short.length === 0 ? `${target}; every job that ran met it.` : `${target}; below it: ${short.join(', ')}.`;
}
