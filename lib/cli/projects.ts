/** `cto-jobs projects …`: add, list, remove and import the repositories the daily job syncs. */

import { formatDollars } from '../../shared/domain/alert-message.ts';
import { SEVERITIES, type Severity } from '../../shared/domain/bugs.ts';
import { newProject, type Project, type ProjectInput, ProjectInputSchema, parseProjectImport } from '../../shared/domain/project.ts';
import { InvalidDataError } from '../../shared/errors.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import { table } from './format.ts';

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

export function projectsTable(projects: readonly Project[]): string {
  return table(
    ['project', 'name', 'last synced', 'revenue/day by severity (c/h/m/l)'],
    projects.map((project) => [
      project.fullName,
      project.displayName,
      project.sync.lastSyncedAt ?? 'never',
      SEVERITIES.map((severity) => formatDollars(project.revenueDefaults[severity])).join(' / '),
    ]),
  );
}
