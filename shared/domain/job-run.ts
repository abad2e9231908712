/** What a run of a job is: its identity, its request, its statuses. Pure; no SDK imports. */
import * as z from 'zod';

/** Job types keep the original system's names. */
export const JOB_TYPES = ['daily_sync', 'hourly_metrics', 'weekly_report'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** The short names the CLI and configuration use for each job type. */
export const JOB_NAMES = { daily: 'daily_sync', hourly: 'hourly_metrics', weekly: 'weekly_report' } as const;
export type JobName = keyof typeof JOB_NAMES;

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'timeout', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses of a run that has not ended: the only ones a reconciler or sweep may overwrite. */
export const OPEN_STATUSES = ['pending', 'running'] as const satisfies readonly RunStatus[];

export const TRIGGERS = ['schedule', 'manual', 'redrive'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Scheduler's `<aws.scheduler.scheduled-time>` format, and ours for every time in JSON: ISO 8601 UTC. */
const isoUtc = z.iso.datetime({ offset: false, error: (issue) => `${JSON.stringify(issue.input)} is not an ISO 8601 UTC time` });

/** The input every job's state machine starts with. */
export const RunRequestSchema = z.object({
  jobType: z.enum(JOB_TYPES, { error: (issue) => `jobType ${JSON.stringify(issue.input)} is not one of ${JOB_TYPES.join(', ')}` }),
  trigger: z.enum(TRIGGERS, { error: (issue) => `trigger ${JSON.stringify(issue.input)} is not one of ${TRIGGERS.join(', ')}` }),
  scheduledTime: isoUtc,
});
export type RunRequest = z.infer<typeof RunRequestSchema>;

/**
 * The run's idempotency key: job type + scheduled time, so two deliveries of one schedule slot are one run.
 * A manual run carries the moment it was requested (with milliseconds) and its own trigger, so it never
 * collides with a scheduled slot.
 */
export function runIdOf(request: RunRequest): string {
  return request.trigger === 'schedule'
    ? `${request.jobType}#${request.scheduledTime}`
    : `${request.jobType}#${request.scheduledTime}#${request.trigger}`;
}

/** A manual run's request: it carries the moment it was requested, to the millisecond. */
export function manualRunRequest(jobType: JobType, now: Date): RunRequest {
  return { jobType, trigger: 'manual', scheduledTime: now.toISOString() };
}

/**
 * A Step Functions execution name for a run (`manual-daily_sync-20261128101530123`): letters, digits,
 * `-` and `_` only, since a name may not contain `:`.
 */
export function executionNameOf(request: RunRequest): string {
  return `${request.trigger}-${request.jobType}-${request.scheduledTime.replace(/[^0-9]/g, '')}`;
}

/** A JobHistory record. Times are ISO 8601 UTC strings. */
export interface JobRun {
  readonly runId: string;
  readonly jobType: JobType;
  readonly trigger: Trigger;
  readonly status: RunStatus;
  readonly scheduledTime: string;
  readonly executionArn: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  /** The most attempts any task of the run needed (1 when nothing was retried). */
  readonly attempts: number;
  readonly redriveCount: number;
  readonly recordsProcessed: number;
  readonly recordsFailed: number;
  readonly errorName?: string;
  readonly errorMessage?: string;
  readonly summary?: string;
  /** How many extra deliveries of this run's slot arrived and were ignored. */
  readonly duplicateDeliveries?: number;
  /** Projects the run deferred to the next run for a GitHub rate limit (a daily sync's; absent when none). */
  readonly rateLimitDeferrals?: number;
}

/** What every work task returns to the state machine (small: payloads are capped at 256 KiB). */
export interface StepResult {
  readonly recordsProcessed: number;
  readonly recordsFailed: number;
  readonly summary: string;
  /** 1-based attempt number of the invocation that succeeded. */
  readonly attempt: number;
  /** Projects the step deferred to the next run for a GitHub rate limit (the daily sync's summary). */
  readonly rateLimitDeferrals?: number;
}

/** Adds up the step results of a run into its JobHistory totals. */
export function totalsOf(results: Readonly<Record<string, StepResult>>) {
  const steps = Object.values(results);
  return {
    recordsProcessed: steps.reduce((sum, step) => sum + step.recordsProcessed, 0),
    recordsFailed: steps.reduce((sum, step) => sum + step.recordsFailed, 0),
    attempts: Math.max(1, ...steps.map((step) => step.attempt)),
    rateLimitDeferrals: steps.reduce((sum, step) => sum + (step.rateLimitDeferrals ?? 0), 0),
    summary: Object.entries(results)
      .map(([name, step]) => `${name}: ${step.summary}`)
      .join('; '),
  };
}

/** Milliseconds between two ISO times. */
export function durationMs(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}
