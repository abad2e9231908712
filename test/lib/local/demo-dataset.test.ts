import { describe, expect, it } from 'vitest';
import { DEMO_ORG, demoRepositories } from '../../../lib/local/demo-dataset.ts';
import type { FakeIssue } from '../../../lib/local/github-server.ts';
import { DEFAULT_BUG_RULES, isBug, isSlaBreached, severityOf } from '../../../shared/domain/bugs.ts';

const now = new Date('2026-11-20T08:15:30.500Z');
const DAY = 86_400_000;
const repositories = demoRepositories(now);
const ageOf = (time: string) => now.getTime() - Date.parse(time);
const isOpenCritical = (issue: FakeIssue) =>
  !issue.pull_request &&
  issue.state === 'open' &&
  isBug(issue.labels, DEFAULT_BUG_RULES) &&
  severityOf(issue.labels, DEFAULT_BUG_RULES) === 'critical';
const revenuePattern = new RegExp(DEFAULT_BUG_RULES.revenueLabelPattern, 'i');

describe('the demo dataset', () => {
  it('is the same for the same now', () => {
    expect(demoRepositories(new Date(now))).toEqual(repositories);
  });

  it('has five repositories of the demo organization with hundreds of items', () => {
    expect(repositories).toHaveLength(5);
    expect(repositories.every((repository) => repository.fullName.startsWith(`${DEMO_ORG}/`))).toBe(true);
    expect(repositories.map((repository) => repository.id)).toEqual([101, 102, 103, 104, 105]);
    const total = repositories.reduce((sum, repository) => sum + repository.issues.length, 0);
    expect(total).toBeGreaterThanOrEqual(400);
    expect(total).toBeLessThanOrEqual(1000);
  });

  it.each(repositories.map((repository) => [repository.fullName, repository] as const))(
    'gives %s something on every panel',
    (_, repository) => {
      const { issues } = repository;
      expect(issues.length).toBeGreaterThanOrEqual(80);
      expect(issues.length).toBeLessThanOrEqual(200);
      expect(issues.some((issue) => isOpenCritical(issue) && isSlaBreached(issue.created_at, 'critical', now, DEFAULT_BUG_RULES))).toBe(
        true,
      );
      expect(issues.some((issue) => isOpenCritical(issue) && issue.assignees.length === 0)).toBe(true);
      expect(issues.some((issue) => issue.pull_request && issue.state === 'open' && ageOf(issue.created_at) > 14 * DAY)).toBe(true);
      expect(issues.some((issue) => issue.pull_request?.merged_at && ageOf(issue.pull_request.merged_at) < 7 * DAY)).toBe(true);
      expect(issues.some((issue) => issue.labels.some((label) => revenuePattern.test(label)))).toBe(true);
      expect(new Set(issues.map((issue) => issue.number)).size).toBe(issues.length);
    },
  );

  it('has consistent times, none after now', () => {
    const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
    for (const repository of repositories) {
      expect(repository.pushedAt).toMatch(timestamp);
      expect(ageOf(repository.pushedAt!)).toBeGreaterThanOrEqual(0);
      for (const issue of repository.issues) {
        const times = [issue.created_at, issue.updated_at, issue.closed_at, issue.pull_request?.merged_at].filter((time) => time != null);
        for (const time of times) {
          expect(time).toMatch(timestamp);
          expect(ageOf(time)).toBeGreaterThanOrEqual(0);
        }
        expect(issue.updated_at >= issue.created_at).toBe(true);
        expect((issue.closed_at === null) === (issue.state === 'open')).toBe(true);
        if (issue.closed_at) expect(issue.updated_at >= issue.closed_at).toBe(true);
      }
    }
  });
});
