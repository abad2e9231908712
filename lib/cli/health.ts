/**
 * `cto-jobs health`: the latest daily snapshot of every active project (its health score and why, its bugs and
 * pull requests), as plain objects for `--json` and as a table. `status` shows the same gathering, in short.
 */
import { formatDollars } from '../../shared/domain/alert-message.ts';
import { SEVERITIES, type Severity } from '../../shared/domain/bugs.ts';
import type { DailySnapshot } from '../../shared/domain/daily-metrics.ts';
import type { HealthInputsV1, PenaltyName } from '../../shared/domain/health-score.ts';
import type { Project } from '../../shared/domain/project.ts';
import { type HealthStatus, type HealthThresholds, healthStatusOf } from '../../shared/domain/project-health.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import type { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import { shortTime, table } from './format.ts';

/** A penalty as the score counted it: the points it cost and the figure it was computed from. */
export interface PenaltyFigure {
  readonly points: number;
  readonly input: number;
}

interface ProjectIdentity {
  readonly projectId: string;
  /** The repository's current `owner/name`. */
  readonly repository: string;
  readonly displayName: string;
}

/** A project whose daily job has not written a snapshot yet. */
export interface NeverSyncedHealth extends ProjectIdentity {
  readonly synced: false;
}

/** A project's latest daily snapshot, flattened for a dashboard or a script. */
export interface SyncedHealth extends ProjectIdentity {
  readonly synced: true;
  /** The UTC day of the snapshot, and the instant its figures were computed for. */
  readonly date: string;
  readonly asOf: string;
  /** When the daily job last synced the repository from GitHub. */
  readonly syncedAt: string | null;
  readonly score: number;
  readonly formulaVersion: string;
  /** The score's status under the configured thresholds (`healthThresholds`). */
  readonly classification: HealthStatus;
  readonly penalties: Readonly<Record<PenaltyName, PenaltyFigure>>;
  readonly openBugs: Readonly<Record<Severity, number>>;
  readonly slaBreaches: number;
  readonly unassignedCritical: number;
  /** Dollars per day. */
  readonly revenueAtRisk: number;
  readonly pullRequests: { readonly open: number; readonly merged7d: number; readonly stale: number };
  readonly medianHoursToMerge7d: number | null;
}

export type ProjectHealth = NeverSyncedHealth | SyncedHealth;

/** The figure each penalty is computed from (every formula version has the same inputs for them). */
const PENALTY_INPUTS: Readonly<Record<PenaltyName, (inputs: HealthInputsV1) => number>> = {
  openCritical: (inputs) => inputs.openCritical,
  openHigh: (inputs) => inputs.openHigh,
  slaBreaches: (inputs) => inputs.slaBreaches,
  unassignedCritical: (inputs) => inputs.unassignedCritical,
  revenueAtRisk: (inputs) => inputs.revenueAtRisk,
  // Bugs opened minus bugs closed in the last 7 days: negative when the backlog shrank (and the penalty is 0).
  backlogGrowth: (inputs) => inputs.bugsOpened7d - inputs.bugsClosed7d,
  stalePullRequests: (inputs) => inputs.stalePullRequests,
};

/** Every active project's latest daily snapshot dated on or before `now`'s day; a project never synced is listed as such. */
export async function gatherHealth(
  stores: { readonly projects: ProjectsStore; readonly snapshots: SnapshotsStore },
  options: HealthOptions,
): Promise<ProjectHealth[]> {
  return healthOfProjects(stores.snapshots, await stores.projects.listActive(), options);
}

export interface HealthOptions {
  /** The configured `healthThresholds` the classification uses. */
  readonly thresholds: HealthThresholds;
  readonly now: Date;
}

/** {@link gatherHealth} for projects already read. */
export async function healthOfProjects(
  snapshotsStore: SnapshotsStore,
  projects: readonly Project[],
  options: HealthOptions,
): Promise<ProjectHealth[]> {
  const date = options.now.toISOString().slice(0, 10);
  const snapshots = await Promise.all(projects.map((project) => snapshotsStore.latestDaily(project.projectId, date)));
  return projects.map((project, index) => {
    const identity = { projectId: project.projectId, repository: project.fullName, displayName: project.displayName };
    const snapshot = snapshots[index];
    return snapshot
      ? healthOf(identity, snapshot, project.sync.lastSyncedAt ?? null, options.thresholds)
      : { ...identity, synced: false as const };
  });
}

function healthOf(
  identity: ProjectIdentity,
  snapshot: DailySnapshot,
  syncedAt: string | null,
  thresholds: HealthThresholds,
): SyncedHealth {
  const { health } = snapshot;
  const penalties = Object.fromEntries(
    (Object.keys(PENALTY_INPUTS) as PenaltyName[]).map((name) => [
      name,
      { points: health.penalties[name], input: PENALTY_INPUTS[name](health.inputs) },
    ]),
  ) as Record<PenaltyName, PenaltyFigure>;
  return {
    ...identity,
    synced: true,
    date: snapshot.date,
    asOf: snapshot.asOf,
    syncedAt,
    score: health.score,
    formulaVersion: health.formulaVersion,
    classification: healthStatusOf(health.score, thresholds),
    penalties,
    openBugs: snapshot.openBugs,
    slaBreaches: snapshot.slaBreaches,
    unassignedCritical: snapshot.unassignedCritical,
    revenueAtRisk: snapshot.revenueAtRisk,
    pullRequests: {
      open: snapshot.openPullRequests,
      merged7d: snapshot.mergedPullRequests7d,
      stale: snapshot.stalePullRequests,
    },
    medianHoursToMerge7d: snapshot.medianHoursToMerge7d,
  };
}

/** Short column names of the penalties, in the order of PENALTY_INPUTS. */
const PENALTY_LABELS: Readonly<Record<PenaltyName, string>> = {
  openCritical: 'critical',
  openHigh: 'high',
  slaBreaches: 'SLA',
  unassignedCritical: 'unassigned',
  revenueAtRisk: 'revenue',
  backlogGrowth: 'backlog',
  stalePullRequests: 'stale PRs',
};

/**
 * The projects' health as a table of at most 100 columns, worst score first and the never-synced last; under each
 * project its name, formula, sync time and penalties. Every name goes through terminalText; --json has every figure.
 */
export function healthReport(projects: readonly ProjectHealth[]): string {
  if (projects.length === 0) return 'No active projects: add one with `cto-jobs projects add <owner/repo>`.';
  const synced = [...projects.filter((project): project is SyncedHealth => project.synced)].sort(
    (a, b) => a.score - b.score || a.projectId.localeCompare(b.projectId),
  );
  const neverSynced = projects.filter((project) => !project.synced);
  const rows = [
    ...synced.map((project) => [
      project.repository,
      `${project.score} ${project.classification}`,
      SEVERITIES.map((severity) => project.openBugs[severity]).join('/'),
      String(project.slaBreaches),
      String(project.unassignedCritical),
      formatDollars(project.revenueAtRisk),
      `${project.pullRequests.open}/${project.pullRequests.merged7d}/${project.pullRequests.stale}`,
      project.medianHoursToMerge7d === null ? '-' : `${project.medianHoursToMerge7d} h`,
    ]),
    ...neverSynced.map((project) => [project.repository, 'never synced', '-', '-', '-', '-', '-', '-']),
  ];
  const details = [
    ...synced.map((project) => {
      const penalties = (Object.keys(PENALTY_LABELS) as PenaltyName[])
        .filter((name) => project.penalties[name].points > 0)
        .map((name) => `${PENALTY_LABELS[name]} -${project.penalties[name].points} (${penaltyInputText(name, project)})`)
        .join(', ');
      const synced = shortTime(project.syncedAt ?? project.asOf);
      return `${project.displayName} · ${project.formulaVersion} · synced ${synced} · penalties: ${penalties || 'none'}`;
    }),
    ...neverSynced.map((project) => `${project.displayName} · never synced`),
  ];
  return table(['project', 'health', 'c/h/m/l', 'SLA (all)', 'unassigned', 'at risk', 'PRs o/m/s', 'merge'], rows, {
    details,
    flexible: 0,
    legend:
      'c/h/m/l: open bugs by severity. SLA (all): open bugs past their SLA, every severity. unassigned: open critical ' +
      'bugs with no assignee. at risk: revenue at risk per day. PRs o/m/s: pull requests open, merged in 7 days, stale. ' +
      'merge: median time to merge (7 days). Penalties: points off the score (the input). Times UTC.',
  });
}

function penaltyInputText(name: PenaltyName, project: SyncedHealth): string {
  const input = project.penalties[name].input;
  return name === 'revenueAtRisk' ? `${formatDollars(input)}/day` : String(input);
}
