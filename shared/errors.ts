/**
 * Named errors. Step Functions matches Retry and Catch on `error.name`, so every class sets its own
 * name (a string, since bundles are minified and rename classes), and the names the state machines
 * retry on are derived below from the classes that declare themselves recoverable. A wrap passes
 * `{ cause }`, so the error it replaces stays readable in the logs.
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

/**
 * The configuration is wrong (the `ctoJobs` context, an environment variable, a secret); retrying cannot
 * help. An invalid `ctoJobs` context lists each problem in `problems`, and its message puts each on its own line.
 */
export class ConfigError extends JobError {
  override readonly name = 'ConfigError';
  readonly recoverable = false;
  readonly problems?: readonly string[];

  constructor(message: string, options?: ErrorOptions & { readonly problems?: readonly string[] }) {
    super(message, options);
    this.problems = options?.problems;
  }
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

/** An alert channel refused a notification for good (a rejected message, a revoked webhook): the channel is not tried again. */
export class PermanentDeliveryError extends JobError {
  override readonly name = 'PermanentDeliveryError';
  readonly recoverable = false;
}

/** On-call could not be paged through the topic. Not retried: the delivery's claim already stops a resend. */
export class OnCallDeliveryError extends JobError {
  override readonly name = 'OnCallDeliveryError';
  readonly recoverable = false;
}

/** Every named error class; a test holds each instance's name to its class's. */
export const JOB_ERROR_CLASSES = [
  TransientError,
  ConfigError,
  InvalidDataError,
  AuthError,
  RepositoryNotFoundError,
  SyncFailedError,
  ReportRejectedError,
  ReportDeliveryUnknownError,
  PermanentDeliveryError,
  OnCallDeliveryError,
] as const;

/**
 * DynamoDB's error names that still reach a handler after the SDK's own retries under throttling (or a
 * passing service fault): another attempt of the task, seconds later, usually gets through.
 */
export const DYNAMODB_THROTTLING_ERROR_NAMES = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
] as const;

/**
 * Error names a task is retried on, besides Lambda's own service errors: the named errors whose class is
 * recoverable (read from an instance: a class's own `name` does not survive minifying) and DynamoDB's.
 */
export const RECOVERABLE_ERROR_NAMES: readonly string[] = [
  ...JOB_ERROR_CLASSES.map((ErrorClass) => new ErrorClass('')).flatMap((error) => (error.recoverable ? [error.name] : [])),
  ...DYNAMODB_THROTTLING_ERROR_NAMES,
];
