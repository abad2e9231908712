/**
 * Named errors. Step Functions matches Retry and Catch on `error.name`, so every class sets its own
 * name, and the list of recoverable names below is the one the state machines retry on.
 */
export abstract class JobError extends Error {
  /** Whether Step Functions should retry the task that threw it. */
  abstract readonly recoverable: boolean;
}

/** A passing failure of a dependency (throttling, a 5xx, a network error): worth another attempt. */
export class TransientError extends JobError {
  override readonly name = 'TransientError';
  readonly recoverable = true;
}

/** The configuration is wrong; retrying cannot help. */
export class ConfigError extends JobError {
  override readonly name = 'ConfigError';
  readonly recoverable = false;
}

/** Input or stored data that does not have the shape it must have; retrying cannot help. */
export class InvalidDataError extends JobError {
  override readonly name = 'InvalidDataError';
  readonly recoverable = false;
}

/** Credentials were refused (a revoked or wrong token); retrying cannot help. */
export class AuthError extends JobError {
  override readonly name = 'AuthError';
  readonly recoverable = false;
}

/** A GitHub repository that does not exist or that the token cannot see (404). */
export class RepositoryNotFoundError extends JobError {
  override readonly name = 'RepositoryNotFoundError';
  readonly recoverable = false;
}

/** Every project's sync failed in a run: nothing was synced, so the run fails (each project's error is in SyncEvents). */
export class SyncFailedError extends JobError {
  override readonly name = 'SyncFailedError';
  readonly recoverable = false;
}

/** SES refused the weekly report for good (an unverified sender, a rejected message); retrying cannot help. */
export class ReportRejectedError extends JobError {
  override readonly name = 'ReportRejectedError';
  readonly recoverable = false;
}

/** The weekly report's send got no answer: it may have gone out, so it is not retried (never two emails). */
export class ReportDeliveryUnknownError extends JobError {
  override readonly name = 'ReportDeliveryUnknownError';
  readonly recoverable = false;
}

/**
 * Error names a task is retried on, besides Lambda's own service errors: our transient errors and the
 * DynamoDB errors that survive the SDK's own retries under throttling.
 */
export const RECOVERABLE_ERROR_NAMES = [
  'TransientError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
] as const;
