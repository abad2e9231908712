/**
 * The CTO's weekly report as data: headline figures with their week-over-week change, the projects worst
 * first, the top critical bugs, pull-request throughput, and how reliably the jobs themselves ran. Pure;
 * `now` is the run's scheduled time.
 */
import { SEVERITIES, type Severity } from './bugs.ts';
import { type DailySnapshot, median } from './daily-metrics.ts';
import type { HourlySnapshot, OpenBug } from './hourly-metrics.ts';
import { JOB_TYPES, type JobRun, type JobType } from './job-run.ts';
import type { SuccessRate } from './job-run-rules.ts';
import { jobStatistics } from './monitoring.ts';
import { HEALTH_STATUSES, type HealthStatus } from './project-health.ts';
import { wallClockMs } from './schedule.ts';
import type { WorkItem } from './work-item.ts';

const DAY_MS = 86_400_000;
/** Project rows in the report; the rest (the healthiest) are counted. */
export const REPORT_PROJECT_LIMIT = 50;
export const REPORT_CRITICAL_BUG_LIMIT = 10;

export interface WeeklyReportInputs {
  /** The run's scheduled time: the critical bugs' ages and the projects' statuses are as of it. */
  readonly now: Date;
  /** The week covered ({@link coveredWeeks}), then the ones before it, newest first: {@link TREND_WEEKS} of them. */
  readonly weeks: readonly CoveredWeek[];
  /**
   * The organisation's hourly snapshots: the newest by the covered week's end, the newest by the end of the week
   * before, and for the trends the newest by the end of each earlier week (any order; a snapshot counts for the
   * week it was taken in).
   */
  readonly organization: {
    readonly current?: HourlySnapshot;
    readonly weekAgo?: HourlySnapshot;
    readonly earlierWeeks?: readonly HourlySnapshot[];
  };
  readonly projects: readonly ProjectInput[];
  /** Bugs opened and closed and pull requests merged in the covered week and in the week before, over every project. */
  readonly activity: { readonly covered: WeekActivity; readonly weekBefore: WeekActivity };
  readonly openCriticalBugs: readonly OpenBug[];
  /** Runs scheduled in the covered week, of every job type. */
  readonly runs: readonly JobRun[];
  /** Each job's success rate at the covered week's end, over the sample the watchdog, its metric and the status page use. */
  readonly successRates: SuccessRates;
}

/** Each job's success rate with what its sample covers: the window's ended runs, or the newest `minRuns` when fewer. */
export interface SuccessRates extends SuccessRateSample {
  readonly jobs: Readonly<Record<JobType, SuccessRate>>;
}

/** What a success rate covers: the ended runs of the last `windowDays`, reaching back to the newest `minRuns`. */
export interface SuccessRateSample {
  readonly windowDays: number;
  /** Fewer ended runs than this and a job's rate is not judged. */
  readonly minRuns: number;
}

export interface ProjectInput {
  readonly projectId: string;
  readonly displayName: string;
  /** The repository's `owner/name` on GitHub, for the link. */
  readonly fullName?: string;
  /** The newest daily snapshot by the covered week's end, and the newest by the end of the week before. */
  readonly current?: DailySnapshot;
  readonly weekAgo?: DailySnapshot;
  readonly status?: HealthStatus;
}

export type KpiUnit = 'dollars_per_day' | 'count';

export interface Kpi {
  readonly label: string;
  readonly value: number;
  /** The same figure a week before; undefined when there is no data that old. */
  readonly previous?: number;
  readonly unit: KpiUnit;
  /** Whether a rise is good news (velocity) or bad (everything else). */
  readonly higherIsBetter: boolean;
}

export interface ProjectRow {
  readonly projectId: string;
  readonly displayName: string;
  readonly fullName?: string;
  readonly score?: number;
  readonly scoreChange?: number;
  readonly status: HealthStatus | 'unknown';
  readonly openCritical: number;
  readonly revenueAtRisk: number;
}

export interface CriticalBugRow {
  readonly projectId: string;
  readonly number: number;
  readonly title: string;
  readonly url: string;
  readonly ageDays: number;
  readonly revenueImpact: number;
}

export interface JobReliability {
  readonly jobType: JobType;
  readonly runs: number;
  readonly completed: number;
  readonly failed: number;
  readonly timeouts: number;
  /**
   * The job's success rate at the week's end, as the watchdog judges it (not the week's runs alone: a daily job's
   * 7 say little), against the 99.5% target.
   */
  readonly successRate: SuccessRate;
  readonly averageDurationMs?: number;
}

/** The ISO week a report covers, with its Monday and Sunday. */
export interface ReportWeek {
  /** `2026-W48`: the outbox file's name. */
  readonly id: string;
  /** `2026-W48 · 23 – 29 Nov 2026`: the one label of the subject, the header and the text. */
  readonly label: string;
}

/** A whole ISO week in the configured time zone: [`start`, `end`), local Monday 00:00 to the next. */
export interface CoveredWeek extends ReportWeek {
  readonly start: Date;
  readonly end: Date;
}

/** A figure at the end of each of the last {@link TREND_WEEKS} weeks, oldest first; undefined where no data is that old. */
export interface Trend {
  readonly label: string;
  readonly unit: KpiUnit;
  readonly points: readonly { readonly week: string; readonly value?: number }[];
}

export const TREND_WEEKS = 8;

/** What happened in one week, counted from the work items. */
export interface WeekActivity {
  readonly bugsOpened: number;
  readonly bugsClosed: number;
  readonly merged: number;
  /** Hours from opening to merging of each pull request merged that week. */
  readonly hoursToMerge: readonly number[];
}

export interface WeeklyReport {
  readonly week: ReportWeek;
  /** The figures' period: the covered week [`weekStart`, `weekEnd`), ISO instants. */
  readonly weekStart: string;
  readonly weekEnd: string;
  readonly kpis: readonly Kpi[];
  readonly statusCounts: Readonly<Record<HealthStatus | 'unknown', number>>;
  readonly projects: readonly ProjectRow[];
  /** Projects beyond {@link REPORT_PROJECT_LIMIT}, left out of the table. */
  readonly projectsOmitted: number;
  readonly criticalBugs: readonly CriticalBugRow[];
  readonly criticalBugsTotal: number;
  readonly pullRequests: { readonly merged: number; readonly previousMerged?: number; readonly medianHoursToMerge?: number };
  /** The week's runs of each job, with its success rate at the week's end. */
  readonly reliability: readonly JobReliability[];
  /** What each job's {@link JobReliability.successRate} covers. */
  readonly successRateSample: SuccessRateSample;
  /** Revenue at risk and open critical bugs over the last {@link TREND_WEEKS} weeks. */
  readonly trends: readonly Trend[];
}

const STATUS_ORDER: Record<ProjectRow['status'], number> = { critical: 0, warning: 1, unknown: 2, healthy: 3 };

/** The ISO week of an instant (UTC), e.g. `2026-W48`: a report is sent once per week. */
export function isoWeekOf(instant: Date): string {
  const day = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The ISO week of an instant with its dates: `2026-W49 · 30 Nov – 6 Dec 2026`, `2026-W53 · 28 Dec 2026 – 3 Jan 2027`. */
export function reportWeekOf(instant: Date): ReportWeek {
  const id = isoWeekOf(instant);
  const midnight = Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate());
  const monday = new Date(midnight - ((instant.getUTCDay() + 6) % 7) * DAY_MS);
  const sunday = new Date(monday.getTime() + 6 * DAY_MS);
  const dayMonth = (day: Date) => `${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]}`;
  const first =
    monday.getUTCFullYear() !== sunday.getUTCFullYear()
      ? `${dayMonth(monday)} ${monday.getUTCFullYear()}`
      : monday.getUTCMonth() !== sunday.getUTCMonth()
        ? dayMonth(monday)
        : String(monday.getUTCDate());
  return { id, label: `${id} · ${first} – ${dayMonth(sunday)} ${sunday.getUTCFullYear()}` };
}

/**
 * The last `count` whole ISO weeks before `now` in `timeZone`, newest first: a run on Monday 30 Nov 2026 09:00
 * covers 23 – 29 Nov (Monday 00:00 to Monday 00:00 local), never the week it is sent in, whose days are yet to come.
 */
export function coveredWeeks(now: Date, timeZone: string, count: number): CoveredWeek[] {
  const today = localDate(now, timeZone);
  const thisMonday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS;
  return Array.from({ length: count }, (_, index) => {
    const monday = thisMonday - (index + 1) * 7 * DAY_MS;
    return {
      ...reportWeekOf(new Date(monday)),
      start: new Date(localMidnight(monday, timeZone)),
      end: new Date(localMidnight(monday + 7 * DAY_MS, timeZone)),
    };
  });
}

/** The local calendar date of an instant in `timeZone`, as the UTC midnight of that date. */
function localDate(instant: Date, timeZone: string): number {
  const wallClock = wallClockMs(timeZone, instant.getTime());
  return wallClock - (wallClock % DAY_MS);
}

/**
 * The first instant of a local date (given as its UTC midnight) in `timeZone`: midnight less the offset in force
 * then. Where midnight falls in a daylight-saving gap, the first instant of the day is the gap's end.
 */
function localMidnight(date: number, timeZone: string): number {
  let instant = date;
  // Twice: the first guess uses the offset at UTC midnight, which differs on the day the offset changes.
  for (let pass = 0; pass < 2; pass++) instant = date - (wallClockMs(timeZone, instant) - instant);
  while (localDate(new Date(instant), timeZone) < date) instant += 3_600_000;
  return instant;
}

/** Bugs opened and closed and pull requests merged in [`start`, `end`). */
export function weekActivity(items: readonly WorkItem[], start: Date, end: Date): WeekActivity {
  const inWeek = (time: string | undefined) =>
    time !== undefined && Date.parse(time) >= start.getTime() && Date.parse(time) < end.getTime();
  const bugs = items.filter((item) => item.kind === 'bug');
  const merged = items.filter((item) => item.kind === 'pull_request' && inWeek(item.mergedAt));
  return {
    bugsOpened: bugs.filter((bug) => inWeek(bug.createdAt)).length,
    bugsClosed: bugs.filter((bug) => inWeek(bug.closedAt)).length,
    merged: merged.length,
    hoursToMerge: merged.map((pull) => Math.round(((Date.parse(pull.mergedAt!) - Date.parse(pull.createdAt)) / 3_600_000) * 10) / 10),
  };
}

/** Two weeks' activity added up. */
export function addActivity(a: WeekActivity, b: WeekActivity): WeekActivity {
  return {
    bugsOpened: a.bugsOpened + b.bugsOpened,
    bugsClosed: a.bugsClosed + b.bugsClosed,
    merged: a.merged + b.merged,
    hoursToMerge: [...a.hoursToMerge, ...b.hoursToMerge],
  };
}

export const NO_ACTIVITY: WeekActivity = { bugsOpened: 0, bugsClosed: 0, merged: 0, hoursToMerge: [] };

export function weeklyReport(inputs: WeeklyReportInputs): WeeklyReport {
  const { now, activity } = inputs;
  const [week] = inputs.weeks;
  if (!week) throw new RangeError('a weekly report needs the week it covers');
  const current = inputs.projects.flatMap((project) => (project.current ? [project.current] : []));
  const weekAgo = inputs.projects.flatMap((project) => (project.weekAgo ? [project.weekAgo] : []));
  const organization = organizationFigures(inputs.organization.current, current);
  const previous =
    inputs.organization.weekAgo || weekAgo.length > 0 ? organizationFigures(inputs.organization.weekAgo, weekAgo) : undefined;

  const kpis: Kpi[] = [
    {
      label: 'Revenue at risk',
      value: organization.revenueAtRisk,
      previous: previous?.revenueAtRisk,
      unit: 'dollars_per_day',
      higherIsBetter: false,
    },
    ...SEVERITIES.map(
      (severity): Kpi => ({
        label: `Open ${severity} bugs`,
        value: organization.openBySeverity[severity],
        previous: previous?.openBySeverity[severity],
        unit: 'count',
        higherIsBetter: false,
      }),
    ),
    {
      label: 'Bugs opened',
      value: activity.covered.bugsOpened,
      // Counted from the items, which any week has; shown against the week before once there was data then.
      previous: previous && activity.weekBefore.bugsOpened,
      unit: 'count',
      higherIsBetter: false,
    },
    {
      label: 'Bugs closed',
      value: activity.covered.bugsClosed,
      previous: previous && activity.weekBefore.bugsClosed,
      unit: 'count',
      higherIsBetter: true,
    },
    {
      label: 'Velocity (bugs resolved in 7 days)',
      value: organization.velocity.last7Days,
      previous: organization.velocity.previous7Days,
      unit: 'count',
      higherIsBetter: true,
    },
    { label: 'SLA breaches', value: organization.slaBreaches, previous: previous?.slaBreaches, unit: 'count', higherIsBetter: false },
    {
      label: 'Unassigned critical bugs',
      value: organization.unassignedCritical,
      previous: previous?.unassignedCritical,
      unit: 'count',
      higherIsBetter: false,
    },
  ];

  const rows = inputs.projects
    .map(
      (project): ProjectRow => ({
        projectId: project.projectId,
        displayName: project.displayName,
        ...(project.fullName ? { fullName: project.fullName } : {}),
        score: project.current?.health.score,
        // Scores of two formula versions are not comparable: the week after health-v2 shipped shows no change.
        scoreChange:
          project.current && project.weekAgo && project.current.health.formulaVersion === project.weekAgo.health.formulaVersion
            ? project.current.health.score - project.weekAgo.health.score
            : undefined,
        status: project.status ?? 'unknown',
        openCritical: project.current?.openBugs.critical ?? 0,
        revenueAtRisk: project.current?.revenueAtRisk ?? 0,
      }),
    )
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        (a.score ?? 101) - (b.score ?? 101) ||
        b.revenueAtRisk - a.revenueAtRisk ||
        a.projectId.localeCompare(b.projectId),
    );
  const statusCounts = Object.fromEntries(
    [...HEALTH_STATUSES, 'unknown'].map((status) => [status, rows.filter((row) => row.status === status).length]),
  ) as WeeklyReport['statusCounts'];

  const criticalBugs = inputs.openCriticalBugs
    .filter((bug) => Date.parse(bug.createdAt) <= now.getTime())
    .map(
      (bug): CriticalBugRow => ({
        projectId: bug.projectId,
        number: bug.number,
        title: bug.title,
        url: bug.htmlUrl,
        ageDays: Math.floor((now.getTime() - Date.parse(bug.createdAt)) / DAY_MS),
        revenueImpact: bug.revenueImpact,
      }),
    )
    .sort(
      (a, b) =>
        b.revenueImpact - a.revenueImpact || b.ageDays - a.ageDays || a.projectId.localeCompare(b.projectId) || a.number - b.number,
    );

  const trendOf = (kpi: Kpi, figure: (snapshot: HourlySnapshot) => number): Trend => ({
    label: kpi.label,
    unit: kpi.unit,
    points: inputs.weeks
      .slice(0, TREND_WEEKS)
      .map((trendWeek, weeksAgo) => {
        if (weeksAgo === 0) return { week: trendWeek.id, value: kpi.value };
        if (weeksAgo === 1) return { week: trendWeek.id, value: kpi.previous };
        const snapshot = newestInWeek(inputs.organization.earlierWeeks ?? [], trendWeek);
        return { week: trendWeek.id, value: snapshot ? figure(snapshot) : undefined };
      })
      .reverse(),
  });

  return {
    week: { id: week.id, label: week.label },
    weekStart: week.start.toISOString(),
    weekEnd: week.end.toISOString(),
    kpis,
    statusCounts,
    projects: rows.slice(0, REPORT_PROJECT_LIMIT),
    projectsOmitted: Math.max(0, rows.length - REPORT_PROJECT_LIMIT),
    criticalBugs: criticalBugs.slice(0, REPORT_CRITICAL_BUG_LIMIT),
    criticalBugsTotal: criticalBugs.length,
    pullRequests: {
      merged: activity.covered.merged,
      previousMerged: previous && activity.weekBefore.merged,
      medianHoursToMerge: median(activity.covered.hoursToMerge) ?? undefined,
    },
    reliability: JOB_TYPES.map((jobType) => reliabilityOf(jobType, inputs.runs, inputs.successRates.jobs[jobType], now)),
    successRateSample: { windowDays: inputs.successRates.windowDays, minRuns: inputs.successRates.minRuns },
    trends: [trendOf(kpis[0]!, (snapshot) => snapshot.revenueAtRisk), trendOf(kpis[1]!, (snapshot) => snapshot.openBySeverity.critical)],
  };
}

/**
 * The newest snapshot taken in a week, its end included (a snapshot at Monday 00:00 holds the figures at Sunday's
 * end): an older one belongs to an earlier week (a gap shows as a gap).
 */
function newestInWeek(snapshots: readonly HourlySnapshot[], week: CoveredWeek): HourlySnapshot | undefined {
  const inWeek = snapshots.filter(
    (snapshot) => Date.parse(snapshot.at) <= week.end.getTime() && Date.parse(snapshot.at) > week.start.getTime(),
  );
  return inWeek.reduce<HourlySnapshot | undefined>(
    (newest, snapshot) => (!newest || snapshot.at > newest.at ? snapshot : newest),
    undefined,
  );
}

interface OrganizationFigures {
  readonly revenueAtRisk: number;
  readonly openBySeverity: Readonly<Record<Severity, number>>;
  readonly slaBreaches: number;
  readonly unassignedCritical: number;
  readonly velocity: { readonly last7Days: number; readonly previous7Days?: number };
}

/** The organisation's figures: from its hourly snapshot, or summed from the projects' daily ones before the first hourly run. */
function organizationFigures(hourly: HourlySnapshot | undefined, daily: readonly DailySnapshot[]): OrganizationFigures {
  if (hourly) {
    return {
      revenueAtRisk: hourly.revenueAtRisk,
      openBySeverity: hourly.openBySeverity,
      slaBreaches: hourly.alertingSlaBreaches,
      unassignedCritical: hourly.unassignedCritical,
      velocity: hourly.velocity,
    };
  }
  const total = (figure: (snapshot: DailySnapshot) => number) => daily.reduce((sum, snapshot) => sum + figure(snapshot), 0);
  return {
    revenueAtRisk: Math.round(total((snapshot) => snapshot.revenueAtRisk) * 100) / 100,
    openBySeverity: Object.fromEntries(
      SEVERITIES.map((severity) => [severity, total((snapshot) => snapshot.openBugs[severity])]),
    ) as Record<Severity, number>,
    slaBreaches: total((snapshot) => snapshot.slaBreaches),
    unassignedCritical: total((snapshot) => snapshot.unassignedCritical),
    velocity: { last7Days: total((snapshot) => snapshot.bugsClosed7d) },
  };
}

function reliabilityOf(jobType: JobType, runs: readonly JobRun[], successRate: SuccessRate, now: Date): JobReliability {
  const statistics = jobStatistics(jobType, runs, undefined, now);
  return {
    jobType,
    runs: statistics.total,
    completed: statistics.completed,
    failed: statistics.failed,
    timeouts: statistics.timeouts,
    successRate,
    averageDurationMs: statistics.avgExecutionTimeMs ?? undefined,
  };
}
