import { afterAll, expect, it } from 'vitest';
import { latestMetrics } from '../../../lib/cli/metrics.ts';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.ts';
import { hourlyFigures, type OpenBug } from '../../../shared/domain/hourly-metrics.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
const { stores } = runtime;
const rules = { slaHours: { critical: 24, high: 72, medium: 168, low: 720 }, maxRevenuePerBug: 1_000_000 };

const bug = (projectId: string, number: number): OpenBug => ({
  projectId,
  number,
  title: `Bug ${number}`,
  htmlUrl: `https://github.com/${projectId}/issues/${number}`,
  assignees: [],
  createdAt: '2026-11-30T00:00:00Z',
  severity: 'high',
  revenueImpact: 500,
});

it("lists a project whose figures did not change in the latest hour, with its last snapshot's figures", async () => {
  for (const repository of ['acme/api', 'acme/web'])
    await stores.projects.save(newProject({ repository }, new Date('2026-11-01T00:00:00Z')));
  const tenOClock = new Date('2026-12-01T10:00:00Z');
  const elevenOClock = new Date('2026-12-01T11:00:00Z');
  const bugs = [bug('acme/api', 1), bug('acme/web', 2)];
  await stores.snapshots.putHourly(hourlyFigures(['acme/api', 'acme/web'], bugs, [], tenOClock, rules, DEFAULT_ALERT_RULES));
  // At eleven only acme/api changed (a second bug): acme/web's snapshot is not written again.
  const eleven = hourlyFigures(['acme/api', 'acme/web'], [...bugs, bug('acme/api', 3)], [], elevenOClock, rules, DEFAULT_ALERT_RULES);
  await stores.snapshots.putHourly(eleven, new Set(['acme/web']));

  const metrics = await latestMetrics(stores);

  expect(metrics.organization?.at).toBe(elevenOClock.toISOString());
  expect(metrics.projects.map(({ projectId, openBugs, revenueAtRisk }) => ({ projectId, openBugs, revenueAtRisk }))).toEqual([
    { projectId: 'acme/api', openBugs: 2, revenueAtRisk: 1000 },
    { projectId: 'acme/web', openBugs: 1, revenueAtRisk: 500 },
  ]);
});
