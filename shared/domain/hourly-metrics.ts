/**
 * The hourly figures a CTO watches: revenue at risk, velocity, SLA breaches and unassigned bugs, per
 * project and in total. Pure; `now` is the run's scheduled time, so a replay with `--at` is exact.
 */
import { type BugRules, isSlaBreached, SEVERITIES, type Severity } from './bugs.ts';
import type { WorkItem } from './work-item.ts';

const DAY_MS = 86_400_000;
/** Velocity counts bugs closed in a window of this many days, and the same window before it for the trend. */
export const VELOCITY_WINDOW_DAYS = 7;

/** What the hourly figures need of an open bug (the open-bugs index's projection). */
export type OpenBug = Pick<WorkItem, 'projectId' | 'number' | 'title' | 'htmlUrl' | 'assignees' | 'createdAt'> & {
  readonly severity: Severity;
  readonly revenueImpact: number;
};
/** What velocity needs of a closed bug. */
export type ClosedBug = Pick<WorkItem, 'projectId' | 'number'> & { readonly closedAt: string };

export type SeverityCounts = Record<Severity, number>;

export interface Figures {
  readonly openBugs: number;
  readonly openBySeverity: SeverityCounts;
  /** Dollars a day: the sum of the open bugs' daily impact. */
  readonly revenueAtRisk: number;
  /** Bugs closed in (now − 7 d, now], and in (now − 14 d, now − 7 d] for the trend. */
  readonly velocity: { readonly last7Days: number; readonly previous7Days: number };
  /** Open bugs whose age is past their severity's SLA, by severity. */
  readonly slaBreaches: SeverityCounts;
  /** SLA breaches in the severities that page (the configured filter). */
  readonly alertingSlaBreaches: number;
  /** Open bugs in the paging severities (default critical) with nobody assigned. */
  readonly unassignedCritical: number;
}

export interface ProjectFigures extends Figures {
  readonly projectId: string;
}

export interface HourlyFigures {
  /** The instant the figures describe (the run's scheduled time). */
  readonly at: string;
  readonly totals: Figures & { readonly projects: number };
  readonly projects: readonly ProjectFigures[];
}

/** The figures of one hour as stored, for a project or (`projects` set) for the organisation. */
export interface HourlySnapshot extends Figures {
  readonly projectId: string;
  readonly at: string;
  /** Only on the organisation's snapshot. */
  readonly projects?: number;
}

/** Which severities page for SLA breaches and for nobody being assigned. */
export interface SeverityFilters {
  readonly slaBreachSeverities: readonly Severity[];
  readonly unassignedSeverities: readonly Severity[];
}

/** Whether an open bug already existed at `now` (a replay of an earlier hour must not see later bugs). */
export function isOpenAt(bug: OpenBug, now: Date): boolean {
  return Date.parse(bug.createdAt) <= now.getTime();
}

/** Whether a bug is of a paging severity with nobody assigned. */
export function isUnassignedIn(bug: OpenBug, severities: ReadonlySet<Severity>): boolean {
  return severities.has(bug.severity) && bug.assignees.length === 0;
}

/** The start (exclusive) of the closures window velocity needs: 14 days before `now`. */
export function closuresSince(now: Date): string {
  return new Date(now.getTime() - 2 * VELOCITY_WINDOW_DAYS * DAY_MS).toISOString();
}

/**
 * Computes each project's figures and their totals. Bugs opened after `now` and closures outside the two
 * velocity windows are ignored, so the inputs may be a superset.
 */
export function hourlyFigures(
  projectIds: readonly string[],
  openBugs: readonly OpenBug[],
  closures: readonly ClosedBug[],
  now: Date,
  rules: Pick<BugRules, 'slaHours' | 'maxRevenuePerBug'>,
  filters: SeverityFilters,
): HourlyFigures {
  const nowMs = now.getTime();
  const windowStart = nowMs - VELOCITY_WINDOW_DAYS * DAY_MS;
  const previousStart = windowStart - VELOCITY_WINDOW_DAYS * DAY_MS;
  const slaSeverities = new Set(filters.slaBreachSeverities);
  const unassignedSeverities = new Set(filters.unassignedSeverities);
  const byProject = new Map(projectIds.map((projectId) => [projectId, emptyFigures()]));
  const figuresOf = (projectId: string) => byProject.get(projectId) ?? byProject.set(projectId, emptyFigures()).get(projectId)!;

  for (const bug of openBugs) {
    if (!isOpenAt(bug, now)) continue;
    const figures = figuresOf(bug.projectId);
    figures.openBugs++;
    figures.openBySeverity[bug.severity]++;
    // Capped again here: a bug stored before the cap existed keeps its label's sum until GitHub changes it.
    figures.revenueAtRisk += Math.min(bug.revenueImpact, rules.maxRevenuePerBug);
    if (isSlaBreached(bug.createdAt, bug.severity, now, rules)) {
      figures.slaBreaches[bug.severity]++;
      if (slaSeverities.has(bug.severity)) figures.alertingSlaBreaches++;
    }
    if (isUnassignedIn(bug, unassignedSeverities)) figures.unassignedCritical++;
  }
  for (const closure of closures) {
    const closedAt = Date.parse(closure.closedAt);
    if (closedAt > nowMs || closedAt <= previousStart) continue;
    const velocity = figuresOf(closure.projectId).velocity;
    if (closedAt > windowStart) velocity.last7Days++;
    else velocity.previous7Days++;
  }

  const projects = [...byProject]
    .map(([projectId, figures]) => ({ projectId, ...figures, revenueAtRisk: toCents(figures.revenueAtRisk) }))
    .sort((a, b) => a.projectId.localeCompare(b.projectId));
  const totals = emptyFigures();
  for (const figures of projects) {
    totals.openBugs += figures.openBugs;
    totals.revenueAtRisk += figures.revenueAtRisk;
    totals.alertingSlaBreaches += figures.alertingSlaBreaches;
    totals.unassignedCritical += figures.unassignedCritical;
    totals.velocity.last7Days += figures.velocity.last7Days;
    totals.velocity.previous7Days += figures.velocity.previous7Days;
    for (const severity of SEVERITIES) {
      totals.openBySeverity[severity] += figures.openBySeverity[severity];
      totals.slaBreaches[severity] += figures.slaBreaches[severity];
    }
  }
  return {
    at: now.toISOString(),
    totals: { ...totals, revenueAtRisk: toCents(totals.revenueAtRisk), projects: projects.length },
    projects,
  };
}

/** Dollar sums rounded to the cent, so `$0.10 + $0.20` reads `$0.30`. */
function toCents(dollars: number): number {
  return Math.round(dollars * 100) / 100;
}

type MutableFigures = {
  -readonly [K in keyof Figures]: Figures[K] extends object ? { -readonly [P in keyof Figures[K]]: Figures[K][P] } : Figures[K];
};

function emptyFigures(): MutableFigures {
  const zeroes = () => Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as SeverityCounts;
  return {
    openBugs: 0,
    openBySeverity: zeroes(),
    revenueAtRisk: 0,
    velocity: { last7Days: 0, previous7Days: 0 },
    slaBreaches: zeroes(),
    alertingSlaBreaches: 0,
    unassignedCritical: 0,
  };
}
