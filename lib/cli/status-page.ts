/**
 * The status page: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched) that an on-call
 * engineer reads at a glance, on a phone (375 px) as on a desktop, in light or dark mode as the system says.
 */
import { JOB_TYPES, type JobRun, type JobType } from '../../shared/domain/job-run.ts';
import type { DayFigures, JobStatistics } from '../../shared/domain/monitoring.ts';
import { executionConsoleUrl } from '../../shared/domain/report-email.ts';
import type { SyncEvent } from '../../shared/domain/sync-event.ts';
import { breakable, escapeHtml, plainText } from '../../shared/domain/untrusted-text.ts';
import { type ProjectStatus, percent, type StatusReport, syncFailureOf } from './status.ts';
import { dayLabel, durationText, exactTime, relativeTime } from './time-text.ts';

/** The charts' drawing box (SVG user units; the chart scales to its card) and the plot area inside it. */
const CHART = { width: 320, height: 118, left: 46, right: 312, top: 8, bottom: 90, labelY: 106 } as const;
/** How many day labels the time axis carries: enough to read a date off any bar, few enough not to collide. */
const DAY_LABELS = 4;

/** A page built from `report`: header and verdict, one card per job with its charts, failures, events, projects. */
export function statusPageHtml(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const { summary } = report.dashboard;
  const window = `${report.windowDays} days`;
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="color-scheme" content="light dark"><title>CTO dashboard jobs: ${summary.healthStatus}</title>` +
    `<style>${STYLE}</style></head><body><main>` +
    '<header><h1>CTO dashboard jobs</h1>' +
    `<p class="verdict"><span class="pill ${summary.healthStatus}">${summary.healthStatus.toUpperCase()}</span> ` +
    `<span class="nowrap">as of ${timeTag(report.generatedAt, now, exactTime(report.generatedAt))}</span> · ` +
    `<span class="nowrap">window ${window}</span></p>` +
    `<p class="summary"><span class="nowrap">running ${summary.runningJobs}</span> · ` +
    `<span class="nowrap">failures in 24 h ${summary.recentFailures}</span> · ` +
    `<span class="nowrap">slow runs in 24 h ${summary.slowJobs}</span></p>` +
    (report.dashboard.reasons.length > 0
      ? `<ul class="reasons">${report.dashboard.reasons.map((reason) => `<li>${breakable(plainText(reason, 300))}</li>`).join('')}</ul>`
      : '') +
    '</header>' +
    section(`Jobs over ${window}`, `<div class="jobs">${JOB_TYPES.map((jobType) => jobCard(jobType, report, now)).join('')}</div>`) +
    section(
      `Failures over ${window}`,
      dataTable(
        [column('job', 'job'), column('error', 'wide'), column('when', 'when num')],
        report.recentFailures.map((run) => failureRow(run, now)),
        `No failed or timed-out run in ${window}.`,
      ),
    ) +
    section(
      'Recent events',
      dataTable(
        [column('job, run, project', 'source'), column('event', 'wide'), column('when', 'when num')],
        report.recentEvents.map((event) => eventRow(event, now)),
        'No events recorded.',
      ),
    ) +
    section(
      'Projects, worst first',
      dataTable(
        [column('project', 'wide'), column('health', 'health'), column('confirmed', 'when num')],
        report.projects.map((project) => projectRow(project, now)),
        'No projects.',
      ),
    ) +
    `<footer><p>Generated ${timeTag(report.generatedAt, now, exactTime(report.generatedAt))}. ` +
    'Times are relative to then; hover one for the exact time (UTC). Charts are per UTC day.</p></footer>' +
    '</main></body></html>'
  );
}

/** Light and dark palettes as variables, so the charts (inline SVG) follow the system's colour scheme too. */
const STYLE =
  ':root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--grid:#eaeef2;' +
  '--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--none:#afb8c1;--p50:#0969da;--p95:#8250df}' +
  '@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;' +
  '--grid:#262c36;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--none:#484f58;--p50:#4493f8;--p95:#ab7df8}}' +
  'body{margin:0;padding:12px;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}' +
  'main{max-width:1120px;margin:0 auto}h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:0 0 8px}' +
  'h3{font-size:15px;margin:0 0 4px}p{margin:4px 0}a{color:var(--p50)}' +
  'section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px;margin:12px 0}' +
  '.nowrap,.num,.job,.when{white-space:nowrap}.muted,.sub,figcaption,footer{color:var(--muted)}.sub{font-size:12px}' +
  '.healthy,.ok{color:var(--ok)}.degraded,.warning,.warn{color:var(--warn)}.unhealthy,.critical,.error,.failing{color:var(--bad)}' +
  '.verdict .pill{display:inline-block;padding:1px 10px;border-radius:12px;color:#fff;font-weight:600}' +
  '.pill.healthy{background:var(--ok)}.pill.degraded{background:var(--warn)}.pill.unhealthy{background:var(--bad)}' +
  '.reasons{margin:4px 0;padding-left:20px}' +
  '.jobs{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}' +
  '.jobs article{border:1px solid var(--line);border-radius:6px;padding:10px;min-width:0}' +
  'table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px}' +
  'td,th{padding:4px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:break-word}' +
  'th{font-weight:600;color:var(--muted)}.num{text-align:right;font-variant-numeric:tabular-nums}' +
  'th.job{width:7.2em}th.source{width:11em}th.when{width:5.6em}th.health{width:9em}' +
  'table.figures{margin:6px 0;table-layout:auto}.figures th,.figures td{padding:3px 2px}figure{margin:8px 0 0}figcaption{font-size:12px}svg{display:block;width:100%;height:auto}' +
  'svg text{font-size:10px;fill:var(--muted)}.axis{stroke:var(--line)}.gridline{stroke:var(--grid)}' +
  '.bar.full{fill:var(--ok)}.bar.partial{fill:var(--warn)}.bar.low{fill:var(--bad)}.bar.none{fill:var(--none)}' +
  '.p50{stroke:var(--p50);fill:var(--p50)}.p95{stroke:var(--p95);fill:var(--p95)}svg .line{fill:none;stroke-width:2}' +
  '.key{display:inline-block;width:10px;height:3px;vertical-align:middle;margin:0 3px 0 8px}' +
  '.key.p50{background:var(--p50)}.key.p95{background:var(--p95)}footer{font-size:12px;margin:8px 0}' +
  // On a phone a table's wide column (the error, the event, the project) takes a line of its own, so no word is squeezed.
  '@media (max-width:560px){table.stack,table.stack tbody{display:block}' +
  'table.stack tr{display:grid;grid-template-columns:minmax(0,1fr) auto;grid-auto-flow:dense;border-bottom:1px solid var(--line)}' +
  'table.stack td,table.stack th{border:0;width:auto}.stack .wide{grid-column:1/-1}}';

const section = (heading: string, content: string) => `<section><h2>${heading}</h2>${content}</section>`;

interface Column {
  readonly heading: string;
  readonly className?: string;
}

const column = (heading: string, className?: string): Column => ({ heading, className });

/** Rows already rendered (each cell's HTML, given its column's class) under their headings, or `whenEmpty` without rows. */
function dataTable(columns: readonly Column[], rows: readonly (readonly string[])[], whenEmpty: string): string {
  if (rows.length === 0) return `<p>${whenEmpty}</p>`;
  const classOf = (className: string | undefined) => (className ? ` class="${className}"` : '');
  const head = columns.map(({ heading, className }) => `<th${classOf(className)}>${heading}</th>`).join('');
  const body = rows
    .map((cells) => `<tr>${cells.map((cell, index) => `<td${classOf(columns[index]!.className)}>${cell}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="stack"><tr>${head}</tr>${body}</table>`;
}

/** "3 h ago", with the exact instant on hover and for machines. */
function timeTag(iso: string, now: Date, text = relativeTime(iso, now)): string {
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(exactTime(iso))}">${escapeHtml(text)}</time>`;
}

function jobCard(jobType: JobType, report: StatusReport, now: Date): string {
  const job = report.dashboard.statistics.find((statistics) => statistics.jobType === jobType)!;
  const days = report.daily[jobType];
  const lastRun = job.lastRun
    ? `last run ${timeTag(job.lastRun.scheduledTime, now)} <span class="${job.lastRun.status === 'completed' ? 'ok' : 'error'}">` +
      `${job.lastRun.status}</span>`
    : 'no run yet';
  const nextRun = job.nextRun ? `<span class="nowrap">next run ${timeTag(job.nextRun, now)}</span>` : '';
  return (
    `<article><h3 class="nowrap">${jobType}</h3><p class="sub">${lastRun}${nextRun ? ` · ${nextRun}` : ''}</p>` +
    `<p class="sub">${judgedRate(jobType, report)}</p>` +
    `<table class="figures">${figuresRows(job)}</table>` +
    `<figure><figcaption>Success rate per day</figcaption>${successChart(jobType, days)}</figure>` +
    '<figure><figcaption>Duration per day:<span class="key p50"></span>p50<span class="key p95"></span>p95</figcaption>' +
    `${durationChart(jobType, days)}</figure></article>`
  );
}

/** The job's success rate as the watchdog judges it, against the target (red below the alert line). */
function judgedRate(jobType: JobType, report: StatusReport): string {
  const { windowDays, minRuns, alertPercent, targetPercent, jobs } = report.successRate;
  const { percent, completed, runs } = jobs[jobType];
  const over = `over ${windowDays} days or the last ${minRuns} runs`;
  if (percent === null) return `success rate ${over}: not judged yet (${runs} of ${minRuns} runs)`;
  const className = percent < alertPercent ? 'error' : percent < targetPercent ? 'warn' : 'ok';
  return (
    `<span title="${completed} of ${runs} ended runs completed ${over}">` +
    `success rate <span class="${className}">${percent}%</span></span>` +
    ` · <span class="nowrap">target ${targetPercent}%</span>`
  );
}

function figuresRows(job: JobStatistics): string {
  const figures: [string, string, string][] = [
    ['runs', 'runs in the window', String(job.total)],
    ['success', 'completed out of the runs that ended', percent(job.successRate)],
    ['p50', 'median duration', durationText(job.p50ExecutionTimeMs)],
    ['p95', '95th percentile duration', durationText(job.p95ExecutionTimeMs)],
    ['streak', 'failed or timed-out runs in a row', String(job.consecutiveFailures)],
  ];
  return (
    `<tr>${figures.map(([heading, meaning]) => `<th class="num" title="${meaning}">${heading}</th>`).join('')}</tr>` +
    `<tr>${figures.map(([, , value]) => `<td class="num">${value}</td>`).join('')}</tr>`
  );
}

/** Where day `index` of `count` sits on the time axis (its bar's left edge) and how wide its slot is. */
function daySlot(index: number, count: number): { x: number; width: number } {
  const width = (CHART.right - CHART.left) / count;
  return { x: CHART.left + index * width, width };
}

/** The time axis: its line and a date under every few days, the newest always labelled. */
function timeAxis(days: readonly DayFigures[]): string {
  const every = Math.ceil(days.length / DAY_LABELS);
  const labels = days.flatMap((day, index) => {
    if ((days.length - 1 - index) % every !== 0) return [];
    const { x, width } = daySlot(index, days.length);
    return [
      `<text class="x-label" x="${(x + width / 2).toFixed(1)}" y="${CHART.labelY}" text-anchor="middle">${dayLabel(day.date)}</text>`,
    ];
  });
  return `<line class="axis" x1="${CHART.left}" y1="${CHART.bottom}" x2="${CHART.right}" y2="${CHART.bottom}"/>${labels.join('')}`;
}

/** The value axis: a labelled grid line at each of `ticks` (fractions of the plot's height). */
function valueAxis(ticks: readonly { fraction: number; label: string }[]): string {
  return ticks
    .map(({ fraction, label }) => {
      const y = (CHART.bottom - fraction * (CHART.bottom - CHART.top)).toFixed(1);
      return (
        `<line class="gridline" x1="${CHART.left}" y1="${y}" x2="${CHART.right}" y2="${y}"/>` +
        `<text class="y-label" x="${CHART.left - 4}" y="${y}" dy="3" text-anchor="end">${label}</text>`
      );
    })
    .join('');
}

function chartSvg(label: string, content: string): string {
  return `<svg viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${label}">${content}</svg>`;
}

function successChart(jobType: JobType, days: readonly DayFigures[]): string {
  const bars = days.map((day, index) => {
    const { x, width } = daySlot(index, days.length);
    const rate = day.successRate;
    const height = rate === null ? 2 : Math.max(2, rate * (CHART.bottom - CHART.top));
    const kind = rate === null ? 'none' : rate === 1 ? 'full' : rate >= 0.95 ? 'partial' : 'low';
    const title = rate === null ? 'no run ended' : `${percent(rate)} of ${day.runs} run(s) succeeded`;
    return (
      `<rect class="bar ${kind}" x="${(x + 1.5).toFixed(1)}" y="${(CHART.bottom - height).toFixed(1)}" ` +
      `width="${Math.max(1, width - 3).toFixed(1)}" height="${height.toFixed(1)}"><title>${dayLabel(day.date)}: ${title}</title></rect>`
    );
  });
  const ticks = [0, 0.5, 1].map((fraction) => ({ fraction, label: `${fraction * 100}%` }));
  return chartSvg(`${jobType}: success rate per day`, valueAxis(ticks) + bars.join('') + timeAxis(days));
}

/** The smallest of 1, 2 or 5 times a power of ten at or above `value`: the top of a duration axis. */
function roundedUp(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= value)!;
}

function durationChart(jobType: JobType, days: readonly DayFigures[]): string {
  const top = roundedUp(Math.max(1000, ...days.map((day) => day.p95DurationMs ?? 0)));
  const y = (ms: number) => (CHART.bottom - (ms / top) * (CHART.bottom - CHART.top)).toFixed(1);
  const series = (key: 'p50' | 'p95') => {
    const points = days.flatMap((day, index) => {
      const ms = key === 'p50' ? day.p50DurationMs : day.p95DurationMs;
      if (ms === null) return [];
      const { x, width } = daySlot(index, days.length);
      return [{ x: (x + width / 2).toFixed(1), y: y(ms), title: `${dayLabel(day.date)}: ${key} ${durationText(ms)}` }];
    });
    const line =
      points.length > 1 ? `<polyline class="line ${key}" points="${points.map((point) => `${point.x},${point.y}`).join(' ')}"/>` : '';
    return (
      line +
      points
        .map((point) => `<circle class="${key}" cx="${point.x}" cy="${point.y}" r="2.5"><title>${point.title}</title></circle>`)
        .join('')
    );
  };
  const ticks = [0, 0.5, 1].map((fraction) => ({ fraction, label: fraction === 0 ? '0' : durationText(fraction * top) }));
  return chartSvg(`${jobType}: p50 and p95 duration per day`, valueAxis(ticks) + series('p95') + series('p50') + timeAxis(days));
}

/** A run as people name it: "run of 28 Nov 02:00" (its slot), "manual run of ..." for one started by hand. */
function runName(runId: string): string {
  const [, scheduledTime, trigger] = runId.split('#');
  if (!scheduledTime || Number.isNaN(Date.parse(scheduledTime))) return breakable(plainText(runId, 80));
  const slot = `${dayLabel(scheduledTime.slice(0, 10))} ${scheduledTime.slice(11, 16)}`;
  return `${trigger ? `${escapeHtml(plainText(trigger, 20))} run` : 'run'} of <span class="nowrap">${escapeHtml(slot)}</span>`;
}

/** The Step Functions console's page of the run's execution, when it has one. */
function consoleLink(run: JobRun): string {
  const url = executionConsoleUrl(run.executionArn);
  return url ? ` · <a href="${escapeHtml(url)}" rel="noopener noreferrer">execution</a>` : '';
}

function failureRow(run: JobRun, now: Date): string[] {
  const error = run.errorName ? `${run.errorName}: ${run.errorMessage ?? ''}` : 'no error recorded';
  return [
    `${run.jobType}<br><span class="sub error">${run.status}</span>`,
    `${breakable(plainText(error, 200))}<br><span class="sub">${runName(run.runId)}${consoleLink(run)}</span>`,
    timeTag(run.scheduledTime, now),
  ];
}

function eventRow(event: SyncEvent, now: Date): string[] {
  const [jobType] = event.runId.split('#');
  const level = event.level === 'info' ? '' : `<span class="${event.level}">${event.level}</span> `;
  const project = event.project ? `<br>${breakable(plainText(event.project, 80))}` : '';
  return [
    `<span class="nowrap">${escapeHtml(plainText(jobType ?? '', 30))}</span><br><span class="sub">${runName(event.runId)}</span>${project}`,
    `${level}<span class="sub">${event.eventType}</span><br>${breakable(plainText(event.message, 200))}`,
    timeTag(event.timestamp, now),
  ];
}

function projectRow(project: ProjectStatus, now: Date): string[] {
  const { health, weeklyStatus, syncFailure } = project;
  const failing = syncFailure
    ? `<br><span class="sub failing">${escapeHtml(syncFailureOf(project)!)}</span>` +
      `<br><span class="sub">${breakable(plainText(syncFailure.lastError, 200))}</span>`
    : '';
  const daily = health
    ? `<span class="${health.classification}" title="latest daily score (${escapeHtml(health.formulaVersion)}) of ${health.date}">` +
      `${health.classification} ${health.score}</span>`
    : '<span class="muted">never synced</span>';
  const weekly = weeklyStatus
    ? `<br><span class="sub" title="weekly health check of ${weeklyStatus.date}">weekly: ` +
      `<span class="${weeklyStatus.status}">${weeklyStatus.status} ${weeklyStatus.score}</span></span>`
    : '';
  return [
    `<span class="name">${breakable(plainText(project.projectId, 80))}</span>${failing}`,
    daily + weekly,
    confirmedCell(project, now),
  ];
}

/** How long ago the project's data was last confirmed (its lag), marked once stale with what confirmed it on hover. */
function confirmedCell({ lag }: ProjectStatus, now: Date): string {
  if (lag.confirmedAt === null) return '<span class="muted">never</span>';
  if (!lag.stale) return timeTag(lag.confirmedAt, now);
  const webhook = lag.webhookConfirmedAt ? `last webhook ${exactTime(lag.webhookConfirmedAt)}` : 'no webhook';
  const sources = `last sync ${exactTime(lag.lastSyncedAt!)}; ${webhook}`;
  return `${timeTag(lag.confirmedAt, now)}<br><span class="sub failing" title="${escapeHtml(sources)}">stale</span>`;
}
