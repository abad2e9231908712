import type { Severity } from '../../shared/domain/bugs.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';

/** A bug as the daily sync stores it. */
export function storedBug(
  projectId: string,
  number: number,
  fields: {
    severity: Severity;
    createdAt: string;
    revenueImpact?: number;
    assignees?: string[];
    title?: string;
    closedAt?: string;
    updatedAt?: string;
  },
): WorkItem {
  return {
    projectId,
    number,
    kind: 'bug',
    title: fields.title ?? `Bug ${number}`,
    state: fields.closedAt ? 'closed' : 'open',
    htmlUrl: `https://github.com/${projectId}/issues/${number}`,
    author: 'octocat',
    assignees: fields.assignees ?? [],
    labels: ['bug', fields.severity],
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt ?? fields.closedAt ?? fields.createdAt,
    severity: fields.severity,
    revenueImpact: fields.revenueImpact ?? 0,
    ...(fields.closedAt ? { closedAt: fields.closedAt } : {}),
  };
}
