/**
 * The CTO's weekly report as data: headline figures with their week-over-week change, the projects worst
 * first, the top critical bugs, pull-request throughput, and how reliably the jobs themselves ran. Pure;
 * `now` is the run's scheduled time.
 */
import { SEVERITIES, type Severity } from './bugs.ts';
import { type DailySnapshot, median } from './daily-metrics.ts';
import type { HourlySnapshot, OpenBug } from './hourly-metrics.ts';
import { JOB_TYPES, type JobRun, type JobType } from './job-run.ts';
import { jobStatistics } from './monitoring.ts';
import { HEALTH_STATUSES, type HealthStatus } from './project-health.ts';

const DAY_MS = 86_400_000;
/** Project rows in the report; the rest (the healthiest) are counted. */
export const REPORT_PROJECT_LIMIT = 50;
export const REPORT_CRITICAL_BUG_LIMIT = 10;

export interface WeeklyReportInputs {
  readonly now: Date;
  /**
   * The organisation's hourly snapshots: the newest by `now`, the newest a week before, and for the trends the
   * newest by the end of each earlier week (any order; a snapshot counts for the week it was taken in).
   */
  readonly organization: {
    readonly current?: HourlySnapshot;
    readonly weekAgo?: HourlySnapshot;
    readonly earlierWeeks?: readonly HourlySnapshot[];
  };
  readonly projects: readonly ProjectInput[];
  readonly openCriticalBugs: readonly OpenBug[];
  /** Runs scheduled in the report's week, of every job type. */
  readonly runs: readonly JobRun[];
}

export interface ProjectInput {
  readonly projectId: string;
  readonly displayName: string;
  /** The repository's `owner/name` on GitHub, for the link. */
  readonly fullName?: string;
  /** The newest daily snapshot by `now`, and the newest a week before. */
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
  /** Completed out of the runs that ended (skipped and still-open runs do not count); undefined without any. */
  readonly successRate?: number;
  readonly averageDurationMs?: number;
}

/** The ISO week a report belongs to (the week it is sent in), with its Monday and Sunday. */
export interface ReportWeek {
  /** `2026-W49`: the once-per-week key and the outbox file's name. */
  readonly id: string;
  /** `2026-W49 · 30 Nov – 6 Dec 2026`: the one label of the subject, the header and the text. */
  readonly label: string;
}

/** A figure at the end of each of the last {@link TREND_WEEKS} weeks, oldest first; undefined where no data is that old. */
export interface Trend {
  readonly label: string;
  readonly unit: KpiUnit;
  readonly points: readonly { readonly week: string; readonly value?: number }[];
}

export const TREND_WEEKS = 8;

export interface WeeklyReport {
  readonly week: ReportWeek;
  /** The figures' period: the 7 days (`weekStart`, `weekEnd`] before the run, ISO instants. */
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
  readonly reliability: readonly JobReliability[];
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

export function weeklyReport(inputs: WeeklyReportInputs): WeeklyReport {
  const { now } = inputs;
  const current = inputs.projects.flatMap((project) => (project.current ? [project.current] : []));
  const weekAgo = inputs.projects.flatMap((project) => (project.weekAgo ? [project.weekAgo] : []));
  const sum = (snapshots: readonly DailySnapshot[], figure: (snapshot: DailySnapshot) => number) =>
    snapshots.reduce((total, snapshot) => total + figure(snapshot), 0);
  const previousOf = (snapshots: readonly DailySnapshot[], figure: (snapshot: DailySnapshot) => number) =>
    snapshots.length > 0 ? sum(snapshots, figure) : undefined;
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
      value: sum(current, (snapshot) => snapshot.bugsOpened7d),
      previous: previousOf(weekAgo, (snapshot) => snapshot.bugsOpened7d),
      unit: 'count',
      higherIsBetter: false,
    },
    {
      label: 'Bugs closed',
      value: sum(current, (snapshot) => snapshot.bugsClosed7d),
      previous: previousOf(weekAgo, (snapshot) => snapshot.bugsClosed7d),
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
    points: Array.from({ length: TREND_WEEKS }, (_, index) => {
      const weeksAgo = TREND_WEEKS - 1 - index;
      const end = now.getTime() - weeksAgo * 7 * DAY_MS;
      const week = isoWeekOf(new Date(end));
      if (weeksAgo === 0) return { week, value: kpi.value };
      if (weeksAgo === 1) return { week, value: kpi.previous };
      const snapshot = newestInWeek(inputs.organization.earlierWeeks ?? [], end);
      return { week, value: snapshot ? figure(snapshot) : undefined };
    }),
  });

  return {
    week: reportWeekOf(now),
    weekStart: new Date(now.getTime() - 7 * DAY_MS).toISOString(),
    weekEnd: now.toISOString(),
    kpis,
    statusCounts,
    projects: rows.slice(0, REPORT_PROJECT_LIMIT),
    projectsOmitted: Math.max(0, rows.length - REPORT_PROJECT_LIMIT),
    criticalBugs: criticalBugs.slice(0, REPORT_CRITICAL_BUG_LIMIT),
    criticalBugsTotal: criticalBugs.length,
    pullRequests: {
      merged: sum(current, (snapshot) => snapshot.mergedPullRequests7d),
      previousMerged: previousOf(weekAgo, (snapshot) => snapshot.mergedPullRequests7d),
      medianHoursToMerge: median(current.flatMap((snapshot) => snapshot.hoursToMerge7d ?? [])) ?? undefined,
    },
    reliability: JOB_TYPES.map((jobType) => reliabilityOf(jobType, inputs.runs, now)),
    trends: [trendOf(kpis[0]!, (snapshot) => snapshot.revenueAtRisk), trendOf(kpis[1]!, (snapshot) => snapshot.openBySeverity.critical)],
  };
}

/** The newest snapshot taken in the 7 days up to `end`: an older one belongs to an earlier week (a gap shows as a gap). */
function newestInWeek(snapshots: readonly HourlySnapshot[], end: number): HourlySnapshot | undefined {
  const inWeek = snapshots.filter((snapshot) => Date.parse(snapshot.at) <= end && Date.parse(snapshot.at) > end - 7 * DAY_MS);
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

function reliabilityOf(jobType: JobType, runs: readonly JobRun[], now: Date): JobReliability {
  const statistics = jobStatistics(jobType, runs, undefined, now);
  return {
    jobType,
    runs: statistics.total,
    completed: statistics.completed,
    failed: statistics.failed,
    timeouts: statistics.timeouts,
    successRate: statistics.successRate ?? undefined,
    averageDurationMs: statistics.avgExecutionTimeMs ?? undefined,
  };
}
