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
  const counting = countingRules(rules, filters);
  const byProject = new Map(projectIds.map((projectId) => [projectId, emptyTally()]));
  const tallyOf = (projectId: string) => byProject.get(projectId) ?? byProject.set(projectId, emptyTally()).get(projectId)!;
  for (const bug of openBugs) tallyOpenBug(tallyOf(bug.projectId), bug, now, counting, 1);
  for (const closure of closures) tallyClosure(tallyOf(closure.projectId), closure, now, 1);
  return combineFigures(now, byProject);
}

/** The figures of every project, counted in tallies, and their totals. */
export function combineFigures(now: Date, tallies: ReadonlyMap<string, Tally>): HourlyFigures {
  const projects = [...tallies]
    .map(([projectId, tally]) => ({ projectId, ...figuresOfTally(tally) }))
    .sort((a, b) => a.projectId.localeCompare(b.projectId));
  const totals = emptyTally();
  let revenueCents = 0;
  for (const figures of projects) {
    totals.openBugs += figures.openBugs;
    revenueCents += Math.round(figures.revenueAtRisk * 100);
    totals.alertingSlaBreaches += figures.alertingSlaBreaches;
    totals.unassignedCritical += figures.unassignedCritical;
    totals.velocity.last7Days += figures.velocity.last7Days;
    totals.velocity.previous7Days += figures.velocity.previous7Days;
    for (const severity of SEVERITIES) {
      totals.openBySeverity[severity] += figures.openBySeverity[severity];
      totals.slaBreaches[severity] += figures.slaBreaches[severity];
    }
  }
  const { revenueMicros: _micros, ...totalFigures } = totals;
  return {
    at: now.toISOString(),
    totals: { ...totalFigures, revenueAtRisk: revenueCents / 100, projects: projects.length },
    projects,
  };
}

/** The rules a tally counts by, with the severity filters as sets. */
export interface CountingRules {
  readonly rules: Pick<BugRules, 'slaHours' | 'maxRevenuePerBug'>;
  readonly slaSeverities: ReadonlySet<Severity>;
  readonly unassignedSeverities: ReadonlySet<Severity>;
}

export function countingRules(rules: Pick<BugRules, 'slaHours' | 'maxRevenuePerBug'>, filters: SeverityFilters): CountingRules {
  return { rules, slaSeverities: new Set(filters.slaBreachSeverities), unassignedSeverities: new Set(filters.unassignedSeverities) };
}

/**
 * A project's figures while they are counted. Revenue is kept in whole millionths of a dollar, so that sums and
 * differences (the hourly aggregates add and take away contributions) are exact integers in any order.
 */
export type Tally = {
  -readonly [K in Exclude<keyof Figures, 'revenueAtRisk'>]: Figures[K] extends object
    ? { -readonly [P in keyof Figures[K]]: Figures[K][P] }
    : Figures[K];
} & { revenueMicros: number };

/**
 * Adds (`sign` 1) or takes away (`sign` -1) an open bug's contribution at `now`: nothing before it was opened.
 * The one definition of what an open bug counts for, shared by the full read and the aggregates.
 */
export function tallyOpenBug(tally: Tally, bug: OpenBug, now: Date, counting: CountingRules, sign: 1 | -1): void {
  if (!isOpenAt(bug, now)) return;
  tally.openBugs += sign;
  tally.openBySeverity[bug.severity] += sign;
  // Capped again here: a bug stored before the cap existed keeps its label's sum until GitHub changes it.
  tally.revenueMicros += sign * Math.round(Math.min(bug.revenueImpact, counting.rules.maxRevenuePerBug) * 1e6);
  if (isSlaBreached(bug.createdAt, bug.severity, now, counting.rules)) {
    tally.slaBreaches[bug.severity] += sign;
    if (counting.slaSeverities.has(bug.severity)) tally.alertingSlaBreaches += sign;
  }
  if (isUnassignedIn(bug, counting.unassignedSeverities)) tally.unassignedCritical += sign;
}

/** Adds or takes away a closure's contribution to velocity at `now`: nothing outside the two windows. */
export function tallyClosure(tally: Tally, closure: ClosedBug, now: Date, sign: 1 | -1): void {
  const nowMs = now.getTime();
  const windowStart = nowMs - VELOCITY_WINDOW_DAYS * DAY_MS;
  const closedAt = Date.parse(closure.closedAt);
  if (closedAt > nowMs || closedAt <= windowStart - VELOCITY_WINDOW_DAYS * DAY_MS) return;
  if (closedAt > windowStart) tally.velocity.last7Days += sign;
  else tally.velocity.previous7Days += sign;
}

/** A tally's figures, revenue in dollars rounded to the cent, so `$0.10 + $0.20` reads `$0.30`. */
export function figuresOfTally({ revenueMicros, ...figures }: Tally): Figures {
  return structuredClone({ ...figures, revenueAtRisk: Math.round(revenueMicros / 10_000) / 100 });
}

export function emptyTally(): Tally {
  const zeroes = () => Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as SeverityCounts;
  return {
    openBugs: 0,
    openBySeverity: zeroes(),
    revenueMicros: 0,
    velocity: { last7Days: 0, previous7Days: 0 },
    slaBreaches: zeroes(),
    alertingSlaBreaches: 0,
    unassignedCritical: 0,
  };
}
