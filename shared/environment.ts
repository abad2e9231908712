/**
 * The settings a Lambda reads from its environment, each validated once at module load so a missing or
 * bad value fails the first invocation with a message that names it.
 */
import { ConfigError } from './errors.ts';

/** Environment variable names, shared with the constructs that set them. */
export const ENV = {
  jobHistoryTable: 'JOB_HISTORY_TABLE',
  syncEventsTable: 'SYNC_EVENTS_TABLE',
  logRetentionDays: 'LOG_RETENTION_DAYS',
  jobTimeoutSeconds: 'JOB_TIMEOUT_SECONDS',
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',
} as const;

/** @throws ConfigError naming the variable when it is unset or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

/** @throws ConfigError naming the variable and its value when it is not a positive integer. */
export function requirePositiveInt(name: string): number {
  const text = requireEnv(name);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`environment variable ${name}=${JSON.stringify(text)} is not a positive integer`);
  }
  return value;
}
