/** "Check Project Health" (weekly): every active project classified healthy, warning or critical. */
import { forEachConcurrently, PROJECT_READ_CONCURRENCY } from '../concurrency.ts';
import type { StepResult } from '../domain/job-run.ts';
import {
  HEALTH_STATUSES,
  type HealthStatus,
  type HealthThresholds,
  healthStatusOf,
  type ProjectStatus,
} from '../domain/project-health.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import { dateOf, dayBefore } from './dates.ts';

export interface HealthCheckDependencies {
  readonly projects: ProjectsStore;
  readonly snapshots: SnapshotsStore;
  readonly events: SyncEventsStore;
  readonly thresholds: HealthThresholds;
}

/**
 * Classifies every active project from its newest daily health score, stores the status with the date,
 * and records each change of status (and each first classification) as a SyncEvent.
 */
export async function checkProjectHealth(
  deps: HealthCheckDependencies,
  run: { readonly runId: string; readonly now: Date },
): Promise<Omit<StepResult, 'attempt'>> {
  const date = dateOf(run.now);
  const counts: Record<HealthStatus, number> = { healthy: 0, warning: 0, critical: 0 };
  let changed = 0;
  let unscored = 0;
  await forEachConcurrently(await deps.projects.listActive(), PROJECT_READ_CONCURRENCY, async (project) => {
    const snapshot = await deps.snapshots.latestDaily(project.projectId, date);
    if (!snapshot) {
      unscored++;
      return;
    }
    const status = healthStatusOf(snapshot.health.score, deps.thresholds);
    const [previous, today] = await Promise.all([
      deps.snapshots.latestStatus(project.projectId, dayBefore(date)),
      deps.snapshots.getStatus(project.projectId, date),
    ]);
    const record: ProjectStatus = {
      projectId: project.projectId,
      date,
      status,
      score: snapshot.health.score,
      ...(previous && previous.status !== status ? { previousStatus: previous.status } : {}),
    };
    await deps.snapshots.putStatus(record);
    counts[status]++;
    // Unchanged, or already recorded by an earlier run today.
    if (previous?.status === status || today?.status === status) return;
    changed++;
    const worse = previous !== undefined && HEALTH_STATUSES.indexOf(status) > HEALTH_STATUSES.indexOf(previous.status);
    await deps.events.append({
      runId: run.runId,
      timestamp: run.now.toISOString(),
      eventType: 'health_check',
      level: worse || (!previous && status === 'critical') ? 'warn' : 'info',
      project: project.projectId,
      message: previous
        ? `${project.projectId}: ${previous.status} → ${status} (health ${snapshot.health.score}, was ${previous.score})`
        : `${project.projectId}: ${status} (health ${snapshot.health.score}), first check`,
    });
  });
  const classified = counts.healthy + counts.warning + counts.critical;
  const statuses = `${counts.healthy} healthy, ${counts.warning} warning, ${counts.critical} critical`;
  const notYetScored = unscored ? `; ${unscored} without a daily snapshot yet` : '';
  return {
    recordsProcessed: classified,
    recordsFailed: 0,
    summary: `${classified} projects: ${statuses}; ${changed} changed status${notYetScored}`,
  };
}
