/**
 * The settings a Lambda reads from its environment, each validated once at module load so a missing or
 * bad value fails the first invocation with a message that names it.
 */
import type * as z from 'zod';
import { ConfigError } from './errors.ts';

/** Environment variable names, shared with the constructs that set them. */
export const ENV = {
  jobHistoryTable: 'JOB_HISTORY_TABLE',
  syncEventsTable: 'SYNC_EVENTS_TABLE',
  logRetentionDays: 'LOG_RETENTION_DAYS',
  jobTimeoutSeconds: 'JOB_TIMEOUT_SECONDS',
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',
  projectsTable: 'PROJECTS_TABLE',
  workItemsTable: 'WORK_ITEMS_TABLE',
  snapshotsTable: 'SNAPSHOTS_TABLE',
  githubApiUrl: 'GITHUB_API_URL',
  githubTokenSecret: 'GITHUB_TOKEN_SECRET',
  /** Set to authenticate as this GitHub App (its installations' tokens) instead of with the token. */
  githubAppId: 'GITHUB_APP_ID',
  /** The Secrets Manager secret holding the app's private key (PEM). */
  githubAppPrivateKeySecret: 'GITHUB_APP_PRIVATE_KEY_SECRET',
  /** Local runs: the app's private key (PEM) itself. */
  githubAppPrivateKey: 'GITHUB_APP_PRIVATE_KEY',
  /** Optional: the installations to use, as a JSON array of ids; all of the app's when unset. */
  githubAppInstallationIds: 'GITHUB_APP_INSTALLATION_IDS',
  /** Optional: the org whose active repositories are discovered as projects. */
  githubOrg: 'GITHUB_ORG',
  githubActiveWithinDays: 'GITHUB_ACTIVE_WITHIN_DAYS',
  /** The configured bug rules, as JSON. */
  bugRules: 'BUG_RULES',
  alertsTable: 'ALERTS_TABLE',
  /** The configured alert rules, as JSON. */
  alertRules: 'ALERT_RULES',
  /** The on-call SNS topic. */
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Local runs only: the on-call channel appends to this file instead of publishing to SNS. */
  localAlertsFile: 'LOCAL_ALERTS_FILE',
  /** Optional: alert email recipients, comma-separated, and their sender. */
  alertEmailRecipients: 'ALERT_EMAIL_RECIPIENTS',
  alertEmailSender: 'ALERT_EMAIL_SENDER',
  /** Optional: Secrets Manager secret holding the Slack webhook URL. */
  slackWebhookSecret: 'SLACK_WEBHOOK_SECRET',
  /** Local runs: the Slack webhook URL itself. */
  slackWebhookUrl: 'SLACK_WEBHOOK_URL',
  /** The GitHub web host links may point to (github.com, or a GitHub Enterprise Server's host). */
  githubWebHost: 'GITHUB_WEB_HOST',
  /** Milliseconds before the first retry of an alert channel (tests shrink it). */
  alertRetryBaseMs: 'ALERT_RETRY_BASE_MS',
  /** The weekly health check's thresholds, as JSON. */
  healthThresholds: 'HEALTH_THRESHOLDS',
  /** The weekly report's recipients (comma-separated) and sender: the original system's names. */
  reportRecipients: 'REPORT_EMAILS',
  reportSender: 'EMAIL_FROM',
  /** What the weekly email says about the deployment (organisation, dashboard, contact), as JSON. */
  reportSettings: 'REPORT_SETTINGS',
  /** The schedules' time zone: the weekly report covers the last whole ISO week in it. */
  timeZone: 'TIME_ZONE',
  /** Local runs only: every report email is also saved here as .html, .txt and .json. */
  localOutboxDirectory: 'LOCAL_OUTBOX_DIRECTORY',
  keepSyncEvents: 'KEEP_SYNC_EVENTS',
  keepJobRecords: 'KEEP_JOB_RECORDS',
  importLogDays: 'IMPORT_LOG_DAYS',
  /** The three schedules (cron and time zone per job type), as JSON. */
  schedules: 'JOB_SCHEDULES',
  /** The monitoring thresholds, as JSON. */
  monitoringThresholds: 'MONITORING_THRESHOLDS',
  /** Milliseconds per second of GitHub's retry-after and of retry backoff (tests shrink it). */
  githubRetryBaseMs: 'GITHUB_RETRY_BASE_MS',
  /** The daily sync's GitHub budget settings (shared/daily/rate-budget-setting.ts), as JSON. */
  githubRateBudget: 'GITHUB_RATE_BUDGET',
  /**
   * Local runs only: how far (signed milliseconds) the item writers' clock is set from the wall clock, read at each tick.
   * A bench that simulates hours sets it before each run, so the aggregates the writers count and stamp fall in the hour
   * the run stands for, as they do when the runs happen at their hours.
   */
  localClockOffsetMs: 'LOCAL_CLOCK_OFFSET_MS',
} as const;

/** @throws ConfigError naming the variable when it is unset or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

/**
 * A JSON setting, parsed by its schema (the configuration's own, from shared/config.ts).
 * @throws ConfigError naming the variable, on one line, when it is not JSON or each field the schema refuses.
 */
export function requireSetting<Schema extends z.ZodType>(name: string, schema: Schema): z.infer<Schema> {
  const text = requireEnv(name);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`environment variable ${name} is not valid JSON: ${text.slice(0, 80)}`, { cause: error });
  }
  return checked(name, value, schema);
}

/**
 * A plain-text setting (not JSON), checked by its schema.
 * @throws ConfigError naming the variable when it is unset or the schema refuses it.
 */
export function requireTextSetting<Schema extends z.ZodType>(name: string, schema: Schema): z.infer<Schema> {
  return checked(name, requireEnv(name), schema);
}

function checked<Schema extends z.ZodType>(name: string, value: unknown, schema: Schema): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`);
  throw new ConfigError(`environment variable ${name} is invalid: ${problems.join('; ')}`, { cause: result.error });
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
