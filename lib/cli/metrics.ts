/** `cto-jobs metrics`: the latest hourly figures, the projects with the most revenue at risk, and the open alerts. */
import { formatDollars } from '../../shared/domain/alert-message.ts';
import { type AlertState, sourceOfRule } from '../../shared/domain/alerts.ts';
import { SEVERITIES } from '../../shared/domain/bugs.ts';
import type { HourlySnapshot } from '../../shared/domain/hourly-metrics.ts';
import { plainText } from '../../shared/domain/untrusted-text.ts';
import type { AlertsStore } from '../../shared/store/alerts-store.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import type { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import { shortTime, table } from './format.ts';

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
  // A project's snapshot is written only in hours its figures changed: its latest one up to that hour holds them.
  const projects = snapshots
    .filter((snapshot) => snapshot !== undefined)
    .sort((a, b) => b.revenueAtRisk - a.revenueAtRisk || a.projectId.localeCompare(b.projectId));
  return { organization, projects, openAlerts };
}

const bySeverity = (counts: Readonly<Record<string, number>>) =>
  SEVERITIES.map((severity) => `${severity} ${counts[severity] ?? 0}`).join(', ');

/** Open alerts listed in the text report, the worst; `--json` has them all. */
const LISTED_ALERTS = 15;

/** The latest metrics as text: the organisation's figures, the top projects and the worst open alerts. */
export function metricsReport(metrics: LatestMetrics, topProjects = 10): string {
  const { organization } = metrics;
  if (!organization) return 'No hourly figures yet: run `cto-jobs run hourly` (or wait for the hourly schedule).';
  const { velocity } = organization;
  const allBreaches = SEVERITIES.reduce((sum, severity) => sum + (organization.slaBreaches[severity] ?? 0), 0);
  const lines = [
    `Hourly figures at ${organization.at} (${organization.projects ?? metrics.projects.length} projects)`,
    `  revenue at risk        ${formatDollars(organization.revenueAtRisk)}/day`,
    `  open bugs              ${organization.openBugs} (${bySeverity(organization.openBySeverity)})`,
    `  SLA breaches (paging)  ${organization.alertingSlaBreaches}: the severities that page on-call (alerts.slaBreachSeverities)`,
    `  SLA breaches (all)     ${allBreaches} (${bySeverity(organization.slaBreaches)})`,
    `  unassigned critical    ${organization.unassignedCritical}`,
    `  velocity               ${velocity.last7Days} bugs closed in the last 7 days (${velocity.previous7Days} the 7 days before)`,
    '',
    `Projects, most revenue at risk first (top ${Math.min(topProjects, metrics.projects.length)} of ${metrics.projects.length}):`,
    table(
      ['project', 'at risk/day', 'open bugs', 'SLA (paging)', 'unassigned', 'closed 7 d (prev)'],
      metrics.projects
        .slice(0, topProjects)
        .map((project) => [
          project.projectId,
          formatDollars(project.revenueAtRisk),
          String(project.openBugs),
          String(project.alertingSlaBreaches),
          String(project.unassignedCritical),
          `${project.velocity.last7Days} (${project.velocity.previous7Days})`,
        ]),
      {
        flexible: 0,
        legend:
          'at risk/day: revenue at risk. SLA (paging): breaches of the paging severities. unassigned: open critical bugs ' +
          'with no assignee. closed 7 d (prev): bugs closed in the last 7 days (the 7 days before).',
      },
    ),
    '',
    `Open alerts (${metrics.openAlerts.length}${metrics.openAlerts.length > LISTED_ALERTS ? `, the ${LISTED_ALERTS} worst` : ''}):`,
    metrics.openAlerts.length === 0 ? '  none' : alertsTable(metrics.openAlerts),
  ];
  return lines.join('\n');
}

/** The worst open alerts (highest level, then value), listed by rule, then value (highest first). */
function alertsTable(openAlerts: readonly AlertState[]): string {
  const listed = [...openAlerts]
    .sort((a, b) => b.level - a.level || b.value - a.value || a.alertId.localeCompare(b.alertId))
    .slice(0, LISTED_ALERTS)
    .sort((a, b) => a.rule.localeCompare(b.rule) || b.value - a.value || a.alertId.localeCompare(b.alertId));
  const more = openAlerts.length - listed.length;
  return table(
    ['rule', 'value', 'first seen', 'about'],
    listed.map((alert) => [
      alert.rule,
      sourceOfRule(alert.rule) === 'bugs' ? `${formatDollars(alert.value)}/day` : String(alert.value),
      shortTime(alert.firstSeenAt),
      alert.projectId ? `${alert.projectId}#${alert.number} ${plainText(alert.title)}` : alert.title,
    ]),
    {
      legend:
        'value: revenue at risk for the bug rules, a count (runs, slots) for the job rules. Times UTC.' +
        (more > 0 ? ` …and ${more} more: --json lists them all.` : ''),
    },
  );
}
