import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { Severity } from '../../shared/domain/bugs.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';

const HOUR_MS = 3_600_000;
const FIRST_HOUR = Date.parse('2026-11-30T10:00:00Z');
/** The n-th hour after the hourly tests' first one (2026-11-30T10:00Z), and the same as an ISO string. */
export const hour = (n: number) => new Date(FIRST_HOUR + n * HOUR_MS);
export const iso = (n: number) => hour(n).toISOString();

/**
 * The hourly metrics step's notifications published to the SNS stand-in, each message without its two header lines
 * (the watchdog's, about job slots a test never ran, are left out).
 */
export function hourlyAlertMessages(sns: AwsClientStub<SNSClient>): string[] {
  return sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Subject?.startsWith('CTO dashboard alerts:'))
    .map((input) => input.Message!.split('\n').slice(2).join('\n'));
}

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
