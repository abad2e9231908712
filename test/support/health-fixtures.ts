import type { FakeIssue, FakeRepository } from '../../lib/local/github-server.ts';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { type DailySnapshot, dailySnapshot } from '../../shared/domain/daily-metrics.ts';
import { newProject } from '../../shared/domain/project.ts';
import { toWorkItem } from '../../shared/domain/work-item.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A big, busy repository (240 issues and pull requests, 40 open bugs) that keeps up: it closed 55 bugs in 30
 * days (24 this week, while 26 were opened), its two critical bugs are assigned (one a day past its SLA), and 9
 * of its open bugs are past their SLA. health-v1 scores it near 0 for its size alone.
 */
export function largeRepository(now: Date): FakeRepository {
  const at = now.getTime();
  const drafts: Omit<FakeIssue, 'number'>[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const add = (fields: { labels: string[]; created: number; closed?: number; assignees?: string[]; pull?: 'merged' | 'open' }) => {
    const closedAt = fields.closed === undefined ? null : iso(fields.closed);
    drafts.push({
      title: `Item ${drafts.length + 1}`,
      state: closedAt ? 'closed' : 'open',
      labels: fields.labels,
      assignees: fields.assignees ?? ['dev'],
      user: 'octocat',
      created_at: iso(fields.created),
      updated_at: closedAt ?? iso(fields.created),
      closed_at: closedAt,
      ...(fields.pull ? { pull_request: { merged_at: fields.pull === 'merged' ? closedAt : null } } : {}),
    });
  };
  // Open bugs, oldest past their SLA: critical 1 of 2, high 3 of 8, medium 4 of 18, low 1 of 12.
  const openBugs: [string, number, number, number, string][] = [
    ['critical', 2, 1, 24, 'revenue:3000'],
    ['high', 8, 3, 72, 'revenue:600'],
    ['medium', 18, 4, 168, 'revenue:120'],
    ['low', 12, 1, 720, 'revenue:20'],
  ];
  for (const [severity, count, breached, slaHours, revenue] of openBugs) {
    for (let index = 0; index < count; index++) {
      const ageHours = index < breached ? slaHours + 24 : (slaHours * (index + 1)) / (count + 1);
      add({ labels: ['bug', severity, revenue], created: at - ageHours * HOUR });
    }
  }
  // 100 closed bugs, each open 10 days: 55 closed in the last 30 days (24 in the last 7), the rest older.
  for (let index = 0; index < 100; index++) {
    const closedDaysAgo = index < 24 ? 0.25 + index * 0.28 : index < 55 ? 7.5 + (index - 24) * 0.7 : 31 + index;
    add({ labels: ['bug', 'medium'], created: at - (closedDaysAgo + 10) * DAY, closed: at - closedDaysAgo * DAY });
  }
  // 60 other issues and 40 pull requests (15 open, 4 of them stale; 25 merged, 10 in the last week).
  for (let index = 0; index < 60; index++) add({ labels: ['enhancement'], created: at - (index + 1) * DAY });
  for (let index = 0; index < 15; index++) add({ labels: [], created: at - (index < 4 ? 20 + index : index) * DAY, pull: 'open' });
  for (let index = 0; index < 25; index++) {
    add({ labels: [], created: at - (index * 2 + 1.5) * DAY, closed: at - index * 2 * DAY - HOUR, pull: 'merged' });
  }
  return {
    fullName: 'acme-demo/marketplace',
    id: 106,
    issues: drafts.sort((a, b) => a.created_at.localeCompare(b.created_at)).map((draft, index) => ({ number: index + 1, ...draft })),
  };
}

/** Each repository's daily snapshot as of `now`, its items parsed as the sync parses GitHub's answers. */
export function snapshotsOf(repositories: readonly FakeRepository[], now: Date): DailySnapshot[] {
  return repositories.map((repository) => {
    const project = newProject({ repository: repository.fullName }, now);
    const items = repository.issues.map((issue) =>
      toWorkItem(
        project.projectId,
        {
          ...issue,
          labels: [...issue.labels],
          html_url: `https://github.com/${repository.fullName}/issues/${issue.number}`,
          user: { login: issue.user },
          assignees: issue.assignees.map((login) => ({ login })),
        },
        DEFAULT_BUG_RULES,
        project.revenueDefaults,
      ),
    );
    return dailySnapshot(project, items, DEFAULT_BUG_RULES, now);
  });
}
