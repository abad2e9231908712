/** `cto-jobs metrics`: the latest hourly figures, the projects with the most revenue at risk, and the open alerts. */
import { formatDollars } from '../../shared/domain/alert-message.ts';
import type { AlertState } from '../../shared/domain/alerts.ts';
import { SEVERITIES } from '../../shared/domain/bugs.ts';
import type { HourlySnapshot } from '../../shared/domain/hourly-metrics.ts';
import { plainText } from '../../shared/domain/untrusted-text.ts';
import type { AlertsStore } from '../../shared/store/alerts-store.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import type { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import { table } from './format.ts';

export interface LatestMetrics {
  /** The organisation's latest hourly snapshot; undefined before the first hourly run. */
  readonly organization?: HourlySnapshot;
  /** Each active project's snapshot from the same run, most revenue at risk first. */
  readonly projects: readonly HourlySnapshot[];
  readonly openAlerts: readonly AlertState[];
}

/**
 * The organisation's hourly figures at or before `until` (a replayed hour's, after `run hourly --at`), its projects' and the open alerts.
 * @default until the latest hour
 */
export async function latestMetrics(
  stores: {
    readonly projects: ProjectsStore;
    readonly snapshots: SnapshotsStore;
    readonly alerts: AlertsStore;
  },
  until?: Date,
): Promise<LatestMetrics> {
  const [organization, openAlerts] = await Promise.all([
    // The organisation's figures (the default partition); a type-only import keeps the SDK out of `cto-jobs --help`.
    stores.snapshots.latestHourly(undefined, until),
    stores.alerts.listOpen(),
  ]);
  if (!organization) return { projects: [], openAlerts };
  const active = await stores.projects.listActive();
  const snapshots = await Promise.all(
    active.map((project) => stores.snapshots.latestHourly(project.projectId, new Date(organization.at))),
  );
  const projects = snapshots
    .filter((snapshot) => snapshot?.at === organization.at)
    .map((snapshot) => snapshot!)
    .sort((a, b) => b.revenueAtRisk - a.revenueAtRisk || a.projectId.localeCompare(b.projectId));
  return { organization, projects, openAlerts };
}

const bySeverity = (counts: Readonly<Record<string, number>>) =>
  SEVERITIES.map((severity) => `${severity} ${counts[severity] ?? 0}`).join(', ');

/** Open alerts listed in the text report, worst first; `--json` has them all. */
const LISTED_ALERTS = 15;

/** The latest metrics as text: the organisation's figures, the top projects and the worst open alerts. */
export function metricsReport(metrics: LatestMetrics, topProjects = 10): string {
  const { organization } = metrics;
  if (!organization) return 'No hourly figures yet: run `cto-jobs run hourly` (or wait for the hourly schedule).';
  const { velocity } = organization;
  const lines = [
    `Hourly figures at ${organization.at} (${organization.projects ?? metrics.projects.length} projects)`,
    `  revenue at risk      ${formatDollars(organization.revenueAtRisk)}/day`,
    `  open bugs            ${organization.openBugs} (${bySeverity(organization.openBySeverity)})`,
    `  SLA breaches         ${organization.alertingSlaBreaches} paging (${bySeverity(organization.slaBreaches)})`,
    `  unassigned critical  ${organization.unassignedCritical}`,
    `  velocity             ${velocity.last7Days} bugs closed in the last 7 days (${velocity.previous7Days} the 7 days before)`,
    '',
    `Projects, most revenue at risk first (top ${Math.min(topProjects, metrics.projects.length)} of ${metrics.projects.length}):`,
    table(
      ['project', 'revenue at risk/day', 'open bugs', 'SLA breaches', 'unassigned critical', 'velocity (7 d)'],
      metrics.projects
        .slice(0, topProjects)
        .map((project) => [
          project.projectId,
          formatDollars(project.revenueAtRisk),
          String(project.openBugs),
          String(project.alertingSlaBreaches),
          String(project.unassignedCritical),
          `${project.velocity.last7Days} (prev ${project.velocity.previous7Days})`,
        ]),
    ),
    '',
    `Open alerts (${metrics.openAlerts.length}):`,
    metrics.openAlerts.length === 0
      ? '  none'
      : table(
          ['rule', 'about', 'value', 'first seen', 'last notified'],
          [...metrics.openAlerts]
            .sort((a, b) => b.level - a.level || b.value - a.value || a.alertId.localeCompare(b.alertId))
            .slice(0, LISTED_ALERTS)
            .map((alert) => [
              alert.rule,
              alert.projectId ? `${alert.projectId}#${alert.number} ${plainText(alert.title, 60)}` : alert.title,
              `${formatDollars(alert.value)}/day`,
              alert.firstSeenAt,
              alert.lastNotifiedAt,
            ]),
        ) +
        (metrics.openAlerts.length > LISTED_ALERTS
          ? `\n…and ${metrics.openAlerts.length - LISTED_ALERTS} more (--json lists them all)`
          : ''),
  ];
  return lines.join('\n');
}
