import { describe, expect, it } from 'vitest';
import { metricsReport } from '../../../lib/cli/metrics.ts';
import type { AlertState } from '../../../shared/domain/alerts.ts';
import type { HourlySnapshot } from '../../../shared/domain/hourly-metrics.ts';

const AT = '2026-12-01T10:00:00.000Z';

function snapshot(projectId: string, projects?: number): HourlySnapshot {
  return {
    projectId,
    at: AT,
    ...(projects === undefined ? {} : { projects }),
    openBugs: 70,
    openBySeverity: { critical: 8, high: 18, medium: 27, low: 17 },
    revenueAtRisk: 84_140,
    velocity: { last7Days: 14, previous7Days: 18 },
    slaBreaches: { critical: 8, high: 18, medium: 16, low: 11 },
    alertingSlaBreaches: 26,
    unassignedCritical: 5,
  };
}

function alert(rule: AlertState['rule'], value: number, level: number, number: number): AlertState {
  return {
    alertId: `${rule}#acme/api#${number}`,
    rule,
    projectId: 'acme/api',
    number,
    title: `Bug ${number} ${'with a very long title '.repeat(5)}`,
    value,
    level,
    status: 'open',
    firstSeenAt: AT,
    lastNotifiedAt: AT,
    notifiedLevel: level,
  };
}

describe('metricsReport', () => {
  it('gives each SLA figure one meaning: the paging severities, and all severities with their counts adding up', () => {
    const report = metricsReport({ organization: snapshot('all', 1), projects: [snapshot('acme/api')], openAlerts: [] });

    expect(report).toContain('\n  SLA breaches (paging)  26: the severities that page on-call');
    // 8 + 18 + 16 + 11: the total is the sum of the counts beside it.
    expect(report).toContain('\n  SLA breaches (all)     53 (critical 8, high 18, medium 16, low 11)\n');
    expect(report).not.toMatch(/\d+ paging \(/);
    expect(report).toMatch(/\nproject +at risk\/day +open bugs +SLA \(paging\) +unassigned +closed 7 d \(prev\)\n/);
    expect(report).toContain('SLA (paging): breaches of the paging severities.');
  });

  it('lists the worst open alerts by rule, then value (highest first), within 100 columns, saying how many are left out', () => {
    const openAlerts = [
      alert('unassigned_critical', 500, 3, 1),
      alert('sla_breach', 200, 2, 2),
      alert('sla_breach', 9_000, 3, 3),
      alert('unassigned_critical', 7_000, 3, 4),
      alert('consecutive_failures', 3, 3, 5),
      ...Array.from({ length: 14 }, (_, index) => alert('sla_breach', 10 + index, 0, 100 + index)),
    ];

    const lines = metricsReport({ organization: snapshot('all', 1), projects: [], openAlerts }).split('\n');

    const header = lines.findIndex((line) => line.startsWith('rule '));
    const rows = lines.slice(header + 2, header + 2 + 15).map((line) => line.split(/ {2,}/).slice(0, 2));
    expect(rows.slice(0, 6)).toEqual([
      ['consecutive_failures', '3'],
      ['sla_breach', '$9,000/day'],
      ['sla_breach', '$200/day'],
      ['sla_breach', '$23/day'],
      ['sla_breach', '$22/day'],
      ['sla_breach', '$21/day'],
    ]);
    expect(rows.slice(-2)).toEqual([
      ['unassigned_critical', '$7,000/day'],
      ['unassigned_critical', '$500/day'],
    ]);
    expect(lines).toContain('Open alerts (19, the 15 worst):');
    // The legend is wrapped to the width: read it with its line breaks as spaces.
    expect(lines.join(' ')).toContain('Times UTC. …and 4 more: --json lists them all.');
    expect(lines.filter((line) => [...line].length > 100)).toEqual([]);
  });
});
