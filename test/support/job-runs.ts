import type { JobRun, JobType, RunStatus } from '../../shared/domain/job-run.ts';

/** A scheduled run as JobHistory records it, started at its slot; a failed one carries an error. */
export function scheduledRun(jobType: JobType, scheduledTime: string, status: RunStatus, fields: Partial<JobRun> = {}): JobRun {
  return {
    runId: `${jobType}#${scheduledTime}`,
    jobType,
    trigger: 'schedule',
    status,
    scheduledTime,
    executionArn: `arn:aws:states:local-1:000000000000:execution:x:${jobType}-${scheduledTime}`,
    createdAt: scheduledTime,
    startedAt: scheduledTime,
    durationMs: 60_000,
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
    ...(status === 'failed' ? { errorName: 'TransientError', errorMessage: 'GitHub answered 502' } : {}),
    ...fields,
  };
}
