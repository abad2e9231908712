import type { FakeIssue } from '../../lib/local/github-server.ts';

/** An open bug on the loopback GitHub, opened 2026-11-01 by octocat, unassigned; `extra` overrides any field. */
export const fakeIssue = (number: number, updatedAt = '2026-11-02T00:00:00Z', extra: Partial<FakeIssue> = {}): FakeIssue => ({
  number,
  title: `Issue ${number}`,
  state: 'open',
  labels: ['bug'],
  assignees: [],
  user: 'octocat',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: updatedAt,
  closed_at: null,
  ...extra,
});

/** An open issue of acme/api as GitHub's REST API and webhook payloads carry it; `extra` overrides any field. */
export const issuePayload = (number: number, extra: Record<string, unknown> = {}) => ({
  number,
  title: 'A',
  state: 'open' as const,
  html_url: `https://github.com/acme/api/issues/${number}`,
  user: { login: 'octocat' },
  labels: [] as { name: string }[],
  assignees: [],
  created_at: '2026-11-28T10:00:00Z',
  updated_at: '2026-11-28T10:00:00Z',
  closed_at: null,
  ...extra,
});
