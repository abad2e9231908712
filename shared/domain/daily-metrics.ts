/** A project's daily snapshot: bug, SLA, revenue and pull-request figures, and its health score. Pure. */
import { type BugRules, isSlaBreached, SEVERITIES, type Severity } from './bugs.ts';
import { type HealthScore, healthScore } from './health-score.ts';
import type { Project } from './project.ts';
import type { WorkItem } from './work-item.ts';

const DAY_MS = 86_400_000;
/** An open pull request older than this is stale. */
export const STALE_PULL_REQUEST_DAYS = 14;

export interface DailySnapshot {
  readonly projectId: string;
  /** The UTC day the snapshot describes (YYYY-MM-DD). */
  readonly date: string;
  /** The instant the figures were computed for (the run's scheduled time). */
  readonly asOf: string;
  readonly openBugs: Readonly<Record<Severity, number>>;
  readonly bugsOpened1d: number;
  readonly bugsOpened7d: number;
  readonly bugsClosed1d: number;
  readonly bugsClosed7d: number;
  /** Bugs closed in the last 30 days: with the open ones, the project's activity health-v2 scales by. */
  readonly bugsClosed30d: number;
  readonly slaBreaches: number;
  readonly unassignedCritical: number;
  /** Dollars per day: the sum of open bugs' daily impact. */
  readonly revenueAtRisk: number;
  readonly openPullRequests: number;
  readonly mergedPullRequests7d: number;
  readonly medianHoursToMerge7d: number | null;
  /** Hours from opening to merge of each pull request merged in the last 7 days (the organisation's median needs them all). */
  readonly hoursToMerge7d: readonly number[];
  readonly stalePullRequests: number;
  readonly health: HealthScore;
}

/** Computes a project's snapshot as of `now` from its stored items (which may hold later data: a replay's `now` is in the past). */
export function dailySnapshot(project: Project, items: readonly WorkItem[], rules: BugRules, now: Date): DailySnapshot {
  const at = now.getTime();
  const within = (time: string | undefined, days: number) =>
    time !== undefined && Date.parse(time) <= at && at - Date.parse(time) < days * DAY_MS;
  const slaRules: BugRules = { ...rules, slaHours: { ...rules.slaHours, ...project.slaHours } };

  // As of `now`: a replay of an earlier day ignores what was opened since and counts as open what was closed since.
  const existing = items.filter((item) => Date.parse(item.createdAt) <= at);
  const isOpen = (item: WorkItem) => (item.closedAt === undefined ? item.state === 'open' : Date.parse(item.closedAt) > at);
  const bugs = existing.filter((item) => item.kind === 'bug');
  const openBugs = bugs.filter(isOpen);
  const pulls = existing.filter((item) => item.kind === 'pull_request');
  const merged7d = pulls.filter((pull) => within(pull.mergedAt, 7));
  const openCount = Object.fromEntries(
    SEVERITIES.map((severity) => [severity, openBugs.filter((bug) => bug.severity === severity).length]),
  ) as Record<Severity, number>;
  const criticalOpen = openBugs.filter((bug) => bug.severity === 'critical');

  const figures = {
    openBugs: openCount,
    bugsOpened1d: bugs.filter((bug) => within(bug.createdAt, 1)).length,
    bugsOpened7d: bugs.filter((bug) => within(bug.createdAt, 7)).length,
    bugsClosed1d: bugs.filter((bug) => within(bug.closedAt, 1)).length,
    bugsClosed7d: bugs.filter((bug) => within(bug.closedAt, 7)).length,
    bugsClosed30d: bugs.filter((bug) => within(bug.closedAt, 30)).length,
    slaBreaches: openBugs.filter((bug) => isSlaBreached(bug.createdAt, bug.severity ?? rules.defaultSeverity, now, slaRules)).length,
    unassignedCritical: criticalOpen.filter((bug) => bug.assignees.length === 0).length,
    // Capped again here: a bug stored before the cap existed keeps its label's sum until GitHub changes it.
    revenueAtRisk: openBugs.reduce((sum, bug) => sum + Math.min(bug.revenueImpact ?? 0, rules.maxRevenuePerBug), 0),
    openPullRequests: pulls.filter(isOpen).length,
    mergedPullRequests7d: merged7d.length,
    hoursToMerge7d: merged7d.map((pull) => Math.round(((Date.parse(pull.mergedAt!) - Date.parse(pull.createdAt)) / 3_600_000) * 10) / 10),
    stalePullRequests: pulls.filter((pull) => isOpen(pull) && at - Date.parse(pull.createdAt) > STALE_PULL_REQUEST_DAYS * DAY_MS).length,
  };
  return {
    projectId: project.projectId,
    date: now.toISOString().slice(0, 10),
    asOf: now.toISOString(),
    ...figures,
    medianHoursToMerge7d: median(figures.hoursToMerge7d),
    health: healthScore({
      openCritical: openCount.critical,
      openHigh: openCount.high,
      slaBreaches: figures.slaBreaches,
      unassignedCritical: figures.unassignedCritical,
      revenueAtRisk: figures.revenueAtRisk,
      bugsOpened7d: figures.bugsOpened7d,
      bugsClosed7d: figures.bugsClosed7d,
      stalePullRequests: figures.stalePullRequests,
      openBugs: openBugs.length,
      bugsClosed30d: figures.bugsClosed30d,
    }),
  };
}

/** The middle value (the mean of the two middle ones for an even count), to one decimal; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return Math.round(value * 10) / 10;
}
