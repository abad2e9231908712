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
