/**
 * Every store, client and setting a handler uses, each built from the Lambda environment when the handler
 * asks for it: a function reads only the variables (and so needs only the grants) of what it uses. JSON
 * settings are parsed by the configuration's own schemas, so a bad value fails with a ConfigError naming
 * the variable instead of being taken on trust. Plain functions, so a bundle keeps only what its handler calls.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import {
  AlertRulesSchema,
  BugRulesSchema,
  GitHubAppSchema,
  HealthThresholdsSchema,
  JobSchedulesSchema,
  MonitoringThresholdsSchema,
  ReportSettingsSchema,
  TimeZoneSchema,
} from './config.ts';
import { RateBudgetSettingSchema } from './daily/rate-budget-setting.ts';
import type { OrgDiscovery } from './daily/steps.ts';
import type { AlertRules } from './domain/alerts.ts';
import type { BugRules } from './domain/bugs.ts';
import type { HealthThresholds } from './domain/project-health.ts';
import type { EngineStores } from './engine/stores.ts';
import { ENV, requireEnv, requirePositiveInt, requireSetting, requireTextSetting } from './environment.ts';
import { GitHubApp, type RepositoryRef } from './github/app.ts';
import { createGitHubClient, type GitHubClient } from './github/client.ts';
import { RateBudgets } from './github/rate-budget.ts';
import { githubAppPrivateKey, githubToken } from './github/token.ts';
import { CronMonitor } from './monitoring/cron-monitor.ts';
import { type AlertChannel, emailChannel, filePublisher, onCallChannel, slackChannel, snsPublisher } from './notify/channels.ts';
import { cachedSecret } from './secret.ts';
import { AlertsStore } from './store/alerts-store.ts';
import { documentClient } from './store/dynamo-client.ts';
import { JobHistoryStore } from './store/job-history-store.ts';
import { ProjectsStore } from './store/projects-store.ts';
import { SnapshotsStore } from './store/snapshots-store.ts';
import { SyncEventsStore } from './store/sync-events-store.ts';
import { WorkItemsStore } from './store/work-items-store.ts';
import { tracer } from './tracer.ts';

export function projectsStore(): ProjectsStore {
  return new ProjectsStore(documentClient, requireEnv(ENV.projectsTable));
}

export function workItemsStore(): WorkItemsStore {
  return new WorkItemsStore(documentClient, requireEnv(ENV.workItemsTable));
}

const ClockOffsetSchema = z.coerce.number().int();

/**
 * WorkItems for a function that writes items (the sync, the webhook consumer): it rebuilds the hourly aggregate of each
 * project it changes, by the bug and alert rules, so the next hourly run reads that aggregate instead of the project.
 */
export function workItemsWriter(): WorkItemsStore {
  const { slaHours, maxRevenuePerBug } = bugRules();
  const { slaBreachSeverities, unassignedSeverities } = alertRules();
  return new WorkItemsStore(documentClient, requireEnv(ENV.workItemsTable), {
    aggregateRules: { slaHours, maxRevenuePerBug, slaBreachSeverities, unassignedSeverities },
    clock: () => {
      const offset = process.env[ENV.localClockOffsetMs] ? requireTextSetting(ENV.localClockOffsetMs, ClockOffsetSchema) : 0;
      return new Date(Date.now() + offset);
    },
  });
}

export function snapshotsStore(): SnapshotsStore {
  return new SnapshotsStore(documentClient, requireEnv(ENV.snapshotsTable));
}

export function alertsStore(): AlertsStore {
  return new AlertsStore(documentClient, requireEnv(ENV.alertsTable));
}

/** SyncEvents alone, for handlers that are not granted JobHistory. */
export function syncEventsStore(): SyncEventsStore {
  return new SyncEventsStore(documentClient, requireEnv(ENV.syncEventsTable), logRetentionDays());
}

/** The tables the engine records runs and events in. */
export function engineStores(): EngineStores {
  return {
    runs: new JobHistoryStore(documentClient, requireEnv(ENV.jobHistoryTable), requirePositiveInt(ENV.historyRetentionDays)),
    events: syncEventsStore(),
  };
}

/** A run's budget: the state machines' timeout, and how long an overlap lock lives. */
export function jobTimeoutMs(): number {
  return requirePositiveInt(ENV.jobTimeoutSeconds) * 1000;
}

/** Days SyncEvents are kept. */
export function logRetentionDays(): number {
  return requirePositiveInt(ENV.logRetentionDays);
}

export function bugRules(): BugRules {
  return requireSetting(ENV.bugRules, BugRulesSchema);
}

export function alertRules(): AlertRules {
  return requireSetting(ENV.alertRules, AlertRulesSchema);
}

export function healthThresholds(): HealthThresholds {
  return requireSetting(ENV.healthThresholds, HealthThresholdsSchema);
}

/** The cron monitor over the engine's tables, with the schedules, thresholds and budget the stack was built with. */
export function cronMonitor(stores: EngineStores): CronMonitor {
  return new CronMonitor(stores, {
    schedules: requireSetting(ENV.schedules, JobSchedulesSchema),
    thresholds: requireSetting(ENV.monitoringThresholds, MonitoringThresholdsSchema),
    budgetMinutes: jobTimeoutMs() / 60_000,
  });
}

/** The org whose active repositories become projects, when one is configured. */
export function orgDiscovery(): OrgDiscovery | undefined {
  const org = process.env[ENV.githubOrg];
  return org ? { org, activeWithinDays: requirePositiveInt(ENV.githubActiveWithinDays) } : undefined;
}

/**
 * The GitHub client for a repository; without one, the client that checks the credentials and discovers the org.
 * With a personal token it is one client, whatever the repository.
 */
export type GitHubAccess = (repository?: RepositoryRef) => Promise<GitHubClient>;

/**
 * GitHub access, its clients created on first use. With `GITHUB_APP_ID` set, as that GitHub App: a repository's
 * client is that of the installation that sees it (each with its own token and budget), and the client without a
 * repository that of the installation on `GITHUB_ORG` (or the app's first). Otherwise every request carries the
 * token the secret holds: cached for five minutes, read again at once when GitHub refuses it.
 */
export function gitHub(): GitHubAccess {
  const baseUrl = requireEnv(ENV.githubApiUrl);
  const retryAfterBaseValue = process.env[ENV.githubRetryBaseMs] ? requirePositiveInt(ENV.githubRetryBaseMs) : undefined;
  if (process.env[ENV.githubAppId]) {
    const installationIds = process.env[ENV.githubAppInstallationIds]
      ? requireSetting(ENV.githubAppInstallationIds, GitHubAppSchema.shape.installationIds)
      : undefined;
    const app = new GitHubApp({
      baseUrl,
      appId: requirePositiveInt(ENV.githubAppId),
      privateKey: githubAppPrivateKey,
      installationIds,
      retryAfterBaseValue,
    });
    const org = process.env[ENV.githubOrg] || undefined;
    return async (repository) => {
      // Read up front, so an unreadable key fails the step with its own error, not as a GitHub request's.
      await githubAppPrivateKey();
      return repository ? app.clientFor(repository) : app.clientForAccount(org);
    };
  }
  let client: GitHubClient | undefined;
  return async () => {
    // Read (or found cached) up front, so an unreadable secret fails the step with its own error, not as a GitHub request's.
    await githubToken();
    client ??= createGitHubClient({ baseUrl, token: githubToken, retryAfterBaseValue });
    return client;
  };
}

/**
 * This container's GitHub budgets (one per token or App installation) for a run, with the reserve and pace the stack
 * set (GITHUB_RATE_BUDGET): each budget's last reading serves the run's next invocations in this container; a new run
 * starts from fresh readings (`GET /rate_limit`, which costs no point), so a reading never outlives its run.
 */
export function rateBudgetsByRun(): (runId: string) => RateBudgets {
  const settings = requireSetting(ENV.githubRateBudget, RateBudgetSettingSchema);
  let current = { runId: '', budgets: new RateBudgets(settings) };
  return (runId) => {
    if (current.runId !== runId) current = { runId, budgets: new RateBudgets(settings) };
    return current.budgets;
  };
}

/** Attempts per alert channel and the first backoff: 1 s, then 2 s. */
export function deliveryRetry(): { attempts: number; baseMs: number } {
  return { attempts: 3, baseMs: process.env[ENV.alertRetryBaseMs] ? requirePositiveInt(ENV.alertRetryBaseMs) : 1000 };
}

/** Each alert request gives up after 5 s, so three attempts per channel stay well inside the task's budget. */
const BOUNDED_REQUESTS = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } };

/**
 * The configured alert channels: on-call always (SNS, or the local alerts file), email when it has
 * recipients, Slack when a webhook (its secret, or locally its URL) is set.
 */
export function alertChannels(): AlertChannel[] {
  const linkHost = requireEnv(ENV.githubWebHost);
  const localFile = process.env[ENV.localAlertsFile];
  const sns = () => tracer.captureAWSv3Client(new SNSClient(BOUNDED_REQUESTS));
  const channels = [onCallChannel(localFile ? filePublisher(localFile) : snsPublisher(sns(), requireEnv(ENV.alertTopicArn)), linkHost)];
  const recipients = addressList(ENV.alertEmailRecipients);
  if (recipients.length > 0) {
    channels.push(
      emailChannel(tracer.captureAWSv3Client(new SESClient(BOUNDED_REQUESTS)), requireEnv(ENV.alertEmailSender), recipients, linkHost),
    );
  }
  if (process.env[ENV.slackWebhookUrl] || process.env[ENV.slackWebhookSecret]) {
    channels.push(slackChannel(cachedSecret('webhook URL', ENV.slackWebhookUrl, ENV.slackWebhookSecret), linkHost));
  }
  return channels;
}

/** How many sync events and job records archiving keeps, and how long import logs live. */
export function archiveLimits(): { keepSyncEvents: number; keepJobRecords: number; importLogDays: number } {
  return {
    keepSyncEvents: requirePositiveInt(ENV.keepSyncEvents),
    keepJobRecords: requirePositiveInt(ENV.keepJobRecords),
    importLogDays: requirePositiveInt(ENV.importLogDays),
  };
}

/**
 * Who gets the weekly report, from whom, what it says about the deployment, the time zone of its weeks, and how
 * SES is reached; no recipients means render without sending. `REPORT_EMAILS` and `EMAIL_FROM` keep the original
 * system's names.
 */
export function reportDelivery() {
  return {
    // One attempt: a retry after a lost answer could send the report twice; Step Functions retries answered errors.
    ses: tracer.captureAWSv3Client(new SESClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 } })),
    linkHost: requireEnv(ENV.githubWebHost),
    settings: requireSetting(ENV.reportSettings, ReportSettingsSchema),
    timeZone: requireTextSetting(ENV.timeZone, TimeZoneSchema),
    recipients: addressList(ENV.reportRecipients),
    sender: process.env[ENV.reportSender] || undefined,
    outboxDirectory: process.env[ENV.localOutboxDirectory] || undefined,
  };
}

/** A comma-separated list of addresses; empty when unset. */
function addressList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
}
