/** `cto-jobs projects …`: add, list, remove and import the repositories the daily job syncs. */

import { digestOf, formatDollars } from '../../shared/domain/alert-message.ts';
import { planAlerts } from '../../shared/domain/alerts.ts';
import { SEVERITIES, type Severity } from '../../shared/domain/bugs.ts';
import {
  newProject,
  type Project,
  type ProjectInput,
  ProjectInputSchema,
  parseProjectImport,
  projectIdOf,
} from '../../shared/domain/project.ts';
import { InvalidDataError } from '../../shared/errors.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import type { CliStores } from './deployed.ts';
import { shortTime, table } from './format.ts';

/** Builds a project input from CLI options (`--name`, `--revenue critical=5000`, `--sla high=48`). */
export function projectInputFromOptions(
  repository: string | undefined,
  options: { readonly name?: string; readonly revenue?: readonly string[]; readonly sla?: readonly string[] },
): ProjectInput {
  const result = ProjectInputSchema.safeParse({
    repository: repository ?? '',
    ...(options.name ? { displayName: options.name } : {}),
    ...(options.revenue?.length ? { revenueDefaults: severityValues('--revenue', options.revenue) } : {}),
    ...(options.sla?.length ? { slaHours: severityValues('--sla', options.sla) } : {}),
  });
  if (!result.success) throw new InvalidDataError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

function severityValues(flag: string, pairs: readonly string[]): Partial<Record<Severity, number>> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const [severity, value] = pair.split('=');
      const number = Number(value);
      if (!SEVERITIES.includes(severity as Severity) || value === undefined || !Number.isFinite(number) || number < 0) {
        throw new InvalidDataError(`${flag} ${JSON.stringify(pair)} is not <severity>=<number> (severities: ${SEVERITIES.join(', ')})`);
      }
      return [severity, number];
    }),
  );
}

/** Adds (or updates) projects; returns a line per project. */
export async function saveProjects(store: ProjectsStore, inputs: readonly ProjectInput[], now: Date): Promise<string[]> {
  const lines: string[] = [];
  for (const input of inputs) lines.push(`${await store.save(newProject(input, now))} ${input.repository}`);
  return lines;
}

/** Validates a whole import file before saving any of it. */
export async function importProjects(store: ProjectsStore, content: unknown, now: Date): Promise<string[]> {
  return saveProjects(store, parseProjectImport(content), now);
}

/** The projects as a table of at most 100 columns; a long display name is cut (--json has it whole). */
export function projectsTable(projects: readonly Project[]): string {
  return table(
    ['project', 'name', 'last synced', 'revenue/day c/h/m/l'],
    projects.map((project) => [
      project.fullName,
      project.displayName,
      project.sync.lastSyncedAt ? shortTime(project.sync.lastSyncedAt) : 'never',
      SEVERITIES.map((severity) => formatDollars(project.revenueDefaults[severity])).join(' / '),
    ]),
    {
      flexible: 1,
      legend: 'revenue/day c/h/m/l: the revenue at risk per day an open bug of each severity counts for. Times UTC.',
    },
  );
}

/**
 * `projects remove <owner/repo> [--purge]`: stops syncing a project and says what is kept, or with `purge`
 * deletes its work items, snapshots and alert states, resolving its open alerts with one notice.
 *
 * The project's item is deactivated, not deleted: org discovery re-adds every repository of the org it finds
 * no item for (`ProjectsStore.add` is conditional on the id), so a deleted item of a discovered repository
 * would come back the next night, while an inactive one keeps it removed; `projects add` makes it active
 * again. After a purge its sync starts from scratch, since the items its cursor had fetched are gone.
 * A purge also deletes the data of a project whose item an earlier version deleted outright.
 * @returns the lines to print, and whether the project existed.
 */
export async function removeProject(
  stores: Pick<CliStores, 'projects' | 'items' | 'snapshots' | 'alerts'>,
  repository: string,
  options: { readonly purge: boolean; readonly now: Date },
): Promise<{ readonly lines: string[]; readonly existed: boolean }> {
  const projectId = projectIdOf(repository);
  const existed = await stores.projects.deactivate(projectId);
  const lines = [
    existed
      ? `removed ${repository}: no longer synced (\`projects add ${repository}\` follows it again${options.purge ? ', from scratch' : ''})`
      : `no project ${repository}`,
  ];
  if (!options.purge) {
    if (!existed) return { lines, existed };
    const [items, snapshots, alertStates] = await Promise.all([
      stores.items.countForProject(projectId),
      stores.snapshots.countForProject(projectId),
      stores.alerts.countForProject(projectId),
    ]);
    lines.push(
      `kept: ${items} work items, ${snapshots.daily} daily snapshots, ${snapshots.status} weekly statuses, ${alertStates} alert states` +
        ` (\`projects remove ${repository} --purge\` deletes them)`,
    );
    return { lines, existed };
  }

  if (existed) await stores.projects.saveSyncState(projectId, { page: 1 });
  // Queued before the states are deleted: a purge that dies in between notifies again when rerun, never not at all.
  const open = (await stores.alerts.listOpen()).filter((state) => state.projectId === projectId);
  const { notices } = planAlerts([], open, options.now, 0);
  if (notices.length > 0) {
    const runId = `projects_purge#${options.now.toISOString()}#${projectId}`;
    // Outside any run: listed as pending, so the next hourly run's Send Alerts delivers it.
    await stores.alerts.enqueue(
      digestOf(runId, options.now.toISOString(), notices),
      notices.map((notice) => notice.alert.alertId),
      { outsideRun: true },
    );
  }
  const [items, snapshots, alertStates] = await Promise.all([
    stores.items.deleteForProject(projectId),
    stores.snapshots.deleteForProject(projectId),
    stores.alerts.deleteForProject(projectId),
  ]);
  lines.push(
    `deleted: ${items} work items, ${snapshots.daily} daily snapshots, ${snapshots.hourly} hourly snapshots, ` +
      `${snapshots.status} weekly statuses, ${alertStates} alert states`,
  );
  if (notices.length > 0) {
    lines.push(`resolved ${notices.length} open alerts: one notice queued in the alert outbox, sent by the next hourly run`);
  }
  return { lines, existed };
}
