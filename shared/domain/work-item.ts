/**
 * Issues and pull requests as the sync stores them, parsed from GitHub's issues endpoint (which returns
 * pull requests too). Pure; no SDK imports.
 */
import * as z from 'zod';
import { type BugRules, isBug, revenueImpactOf, type Severity, severityOf } from './bugs.ts';

const GitHubIssueSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  state: z.enum(['open', 'closed']),
  html_url: z.string(),
  user: z.object({ login: z.string() }).nullable(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().nullish() })])),
  assignees: z.array(z.object({ login: z.string() })).nullish(),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
  pull_request: z.object({ merged_at: z.string().nullish() }).optional(),
  draft: z.boolean().optional(),
});

/** A page of GitHub's issues endpoint, validated. */
export const GitHubIssuePageSchema = z.array(GitHubIssueSchema);
export type GitHubIssue = z.infer<typeof GitHubIssueSchema>;

export type WorkItemKind = 'bug' | 'issue' | 'pull_request';

export interface WorkItem {
  readonly projectId: string;
  readonly number: number;
  readonly kind: WorkItemKind;
  readonly title: string;
  readonly state: 'open' | 'closed';
  readonly htmlUrl: string;
  readonly author: string;
  readonly assignees: readonly string[];
  readonly labels: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt?: string;
  readonly mergedAt?: string;
  readonly draft?: boolean;
  readonly severity?: Severity;
  /** Dollars per day while the bug is open. */
  readonly revenueImpact?: number;
}

/** Turns one GitHub issue or pull request into the stored item, classifying bugs by their labels. */
export function toWorkItem(
  projectId: string,
  issue: GitHubIssue,
  rules: BugRules,
  revenueDefaults: Readonly<Record<Severity, number>>,
): WorkItem {
  const labels = issue.labels.flatMap((label) => (typeof label === 'string' ? [label] : label.name ? [label.name] : []));
  const base = {
    projectId,
    number: issue.number,
    title: issue.title,
    state: issue.state,
    htmlUrl: issue.html_url,
    author: issue.user?.login ?? 'ghost',
    assignees: (issue.assignees ?? []).map((assignee) => assignee.login),
    labels,
    createdAt: issue.created_at,
    updatedAt: issue.updated_at,
    ...(issue.closed_at ? { closedAt: issue.closed_at } : {}),
  };
  if (issue.pull_request) {
    return {
      ...base,
      kind: 'pull_request',
      draft: issue.draft ?? false,
      ...(issue.pull_request.merged_at ? { mergedAt: issue.pull_request.merged_at } : {}),
    };
  }
  if (!isBug(labels, rules)) return { ...base, kind: 'issue' };
  const severity = severityOf(labels, rules);
  return { ...base, kind: 'bug', severity, revenueImpact: revenueImpactOf(labels, severity, rules, revenueDefaults) };
}
