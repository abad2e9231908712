/**
 * The one configuration schema: read from `cdk.json` context (key `ctoJobs`) by the CDK app and by the
 * local runtime, validated here so a bad value fails synth (or `cto-jobs`) with a message naming it.
 */
import * as z from 'zod';
import { type AlertRules, DEFAULT_ALERT_RULES } from './domain/alerts.ts';
import { type BugRules, DEFAULT_BUG_RULES, SEVERITIES } from './domain/bugs.ts';
import { DEFAULT_STALE_AFTER_HOURS } from './domain/freshness.ts';
import { JOB_NAMES, JOB_TYPES, type JobName, type JobType } from './domain/job-run.ts';
import { DEFAULT_MONITORING_THRESHOLDS } from './domain/monitoring.ts';
import { DEFAULT_HEALTH_THRESHOLDS } from './domain/project-health.ts';
import type { ReportSettings } from './domain/report-email.ts';
import { findDstGaps, isTimeZone, parseCron } from './domain/schedule.ts';
import type { JobSchedule } from './domain/schedule-slots.ts';
import { ConfigError } from './errors.ts';
import {
  GITHUB_MAX_CONCURRENT_REQUESTS,
  GITHUB_POINTS_PER_MINUTE,
  pacingIntervalMs,
  type RateBudgetSettings,
} from './github/rate-budget.ts';

/** The context key in `cdk.json` that holds the configuration. */
export const CONFIG_CONTEXT_KEY = 'ctoJobs';

const cron = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});
const cronField = (fallback: string) => cron.default(fallback);

/** An IANA time zone (`TIME_ZONE` for the weekly report). */
export const TimeZoneSchema = z
  .string()
  .refine(isTimeZone, { error: (issue) => `${JSON.stringify(issue.input)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin")` });

const severity = z.enum(SEVERITIES, { error: (issue) => `${JSON.stringify(issue.input)} is not a severity (${SEVERITIES.join(', ')})` });
const nonEmpty = z.string({ error: (issue) => `${JSON.stringify(issue.input)} is not a string` }).min(1, { error: 'must not be empty' });

const email = z.email({ error: (issue) => `${JSON.stringify(issue.input)} is not an email address` });

/** SES takes at most 50 addresses per message. */
const recipients = z
  .array(email)
  .max(50, { error: (issue) => `has ${(issue.input as unknown[]).length} addresses; SES sends to at most 50` })
  .default([]);

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number` })
    .int({ error: (issue) => `${JSON.stringify(issue.input)} is not a whole number` })
    .min(min, { error: (issue) => `${JSON.stringify(issue.input)} is below ${min}` })
    .max(max, { error: (issue) => `${JSON.stringify(issue.input)} is above ${max}` });
const boundedInt = (fallback: number, min: number, max: number) => wholeNumber(min, max).default(fallback);
const positiveInt = (fallback: number, max: number) => boundedInt(fallback, 1, max);

/*
 * The settings a Lambda reads as JSON from its environment are parsed by the schemas below, the same pieces
 * the configuration is made of (shared/dependencies.ts), so a handler never takes a setting on trust.
 */

const bugLabels = z
  .array(z.string().min(1))
  .min(1)
  .default([...DEFAULT_BUG_RULES.bugLabels]);
/** The bug rules' fields but the labels, which the configuration calls `labels` and the rules `bugLabels`. */
const bugRuleFields = {
  severityLabels: z
    .object(
      Object.fromEntries(
        SEVERITIES.map((severity) => [severity, z.array(z.string().min(1)).default([...DEFAULT_BUG_RULES.severityLabels[severity]])]),
      ) as Record<(typeof SEVERITIES)[number], z.ZodDefault<z.ZodArray<z.ZodString>>>,
    )
    .strict()
    .prefault({}),
  defaultSeverity: severity.default(DEFAULT_BUG_RULES.defaultSeverity),
  revenueLabelPattern: z
    .string()
    .default(DEFAULT_BUG_RULES.revenueLabelPattern)
    .refine(isRegExp, { error: (issue) => `${JSON.stringify(issue.input)} is not a regular expression` }),
  /** Most dollars a day one bug's revenue label counts for (1 to 1,000,000,000). */
  maxRevenuePerBug: positiveInt(DEFAULT_BUG_RULES.maxRevenuePerBug, 1_000_000_000),
  slaHours: z
    .object(
      Object.fromEntries(SEVERITIES.map((severity) => [severity, positiveInt(DEFAULT_BUG_RULES.slaHours[severity], 100_000)])) as Record<
        (typeof SEVERITIES)[number],
        ReturnType<typeof positiveInt>
      >,
    )
    .strict()
    .prefault({}),
};
/** The bug rules the sync applies (`BUG_RULES`). */
export const BugRulesSchema = z.object({ bugLabels, ...bugRuleFields }).strict();

const alertRuleFields = {
  /** Revenue at risk (dollars a day, all projects) above which on-call is paged. */
  revenueAtRiskThreshold: positiveInt(DEFAULT_ALERT_RULES.revenueAtRiskThreshold, 1_000_000_000),
  /** Severities whose SLA breaches page. */
  slaBreachSeverities: z.array(severity).default([...DEFAULT_ALERT_RULES.slaBreachSeverities]),
  /** Severities whose unassigned open bugs page. */
  unassignedSeverities: z.array(severity).default([...DEFAULT_ALERT_RULES.unassignedSeverities]),
  /** An alert still firing is notified again only after this long. */
  cooldownHours: positiveInt(DEFAULT_ALERT_RULES.cooldownHours, 24 * 30),
};
/** Hours a project may go unconfirmed (no sync finished, no webhook delivery applied) before it alerts as stale. */
const staleAfterHours = wholeNumber(1, 24 * 30);
/** The alert rules the hourly job applies (`ALERT_RULES`), the stale limit resolved (see {@link alertRulesOf}). */
export const AlertRulesSchema = z.object({ ...alertRuleFields, staleAfterHours }).strict();

/**
 * Health score thresholds of the weekly health check: healthy at or above `healthy`, warning at or
 * above `warning` (`HEALTH_THRESHOLDS`).
 */
export const HealthThresholdsSchema = z
  .object({
    healthy: boundedInt(DEFAULT_HEALTH_THRESHOLDS.healthy, 1, 100),
    warning: boundedInt(DEFAULT_HEALTH_THRESHOLDS.warning, 0, 100),
  })
  .strict()
  .superRefine((thresholds, ctx) => {
    if (thresholds.warning >= thresholds.healthy) {
      ctx.addIssue({
        code: 'custom',
        path: ['warning'],
        message: `${thresholds.warning} must be below healthThresholds.healthy (${thresholds.healthy})`,
      });
    }
  });

/** A decimal in (`min`, `max`] (`min` excluded), or in (`min`, `max`) when `maxIncluded` is false. */
const boundedDecimal = (fallback: number, min: number, max: number, maxIncluded = true) =>
  z
    .number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number` })
    .gt(min, { error: (issue) => `${JSON.stringify(issue.input)} is not above ${min}` })
    .refine((value) => (maxIncluded ? value <= max : value < max), {
      error: (issue) => `${JSON.stringify(issue.input)} is ${maxIncluded ? 'above' : 'not below'} ${max}`,
    })
    .default(fallback);
const nonNegativeCount = (fallback: number) => boundedInt(fallback, 0, 10_000);
const defaults = DEFAULT_MONITORING_THRESHOLDS;

/** A job's own graces, instead of the global ones (keyed by the short job names `schedules` uses). */
const JobGracesSchema = z
  .object({
    missedRunGraceMinutes: wholeNumber(1, 24 * 60).optional(),
    longRunMinutes: wholeNumber(1, 60).optional(),
  })
  .strict();

/** What the monitoring flags and pages on (`MONITORING_THRESHOLDS`). */
export const MonitoringThresholdsSchema = z
  .object({
    slowRunMinutes: positiveInt(defaults.slowRunMinutes, 60),
    longRunMinutes: positiveInt(defaults.longRunMinutes, 60),
    consecutiveFailures: positiveInt(defaults.consecutiveFailures, 100),
    missedRunGraceMinutes: positiveInt(defaults.missedRunGraceMinutes, 24 * 60),
    /** Daily runs in a row a project's sync may fail before the watchdog alerts on it. */
    consecutiveProjectFailures: positiveInt(defaults.consecutiveProjectFailures, 100),
    successRateWindowDays: positiveInt(defaults.successRateWindowDays, 90),
    successRateMinRuns: positiveInt(defaults.successRateMinRuns, 100),
    successRateAlertPercent: boundedDecimal(defaults.successRateAlertPercent, 0, 100),
    failureRateFailures: positiveInt(defaults.failureRateFailures, 100),
    failureRateRuns: positiveInt(defaults.failureRateRuns, 100),
    fastRunFraction: boundedDecimal(defaults.fastRunFraction, 0, 1, false),
    slowRunMultiple: boundedDecimal(defaults.slowRunMultiple, 1, 100),
    runtimeHistoryRuns: positiveInt(defaults.runtimeHistoryRuns, 100),
    runtimeMinHistory: positiveInt(defaults.runtimeMinHistory, 100),
    ranTooOftenWindowHours: positiveInt(defaults.ranTooOftenWindowHours, 7 * 24),
    manualRunsAllowed: nonNegativeCount(defaults.manualRunsAllowed),
    skippedRunsPerDay: nonNegativeCount(defaults.skippedRunsPerDay),
    jobs: z
      .partialRecord(z.enum(Object.keys(JOB_NAMES) as JobName[]), JobGracesSchema, {
        error: (issue) =>
          issue.code === 'invalid_key' ? `${JSON.stringify(issue.input)} is not a job (${Object.keys(JOB_NAMES).join(', ')})` : undefined,
      })
      .optional(),
  })
  .strict()
  .superRefine((thresholds, ctx) => {
    const mustNotExceed = (key: 'failureRateFailures' | 'runtimeMinHistory', limit: 'failureRateRuns' | 'runtimeHistoryRuns') => {
      if (thresholds[key] > thresholds[limit]) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${thresholds[key]} must not exceed monitoring.${limit} (${thresholds[limit]})`,
        });
      }
    };
    mustNotExceed('failureRateFailures', 'failureRateRuns');
    mustNotExceed('runtimeMinHistory', 'runtimeHistoryRuns');
  });

const httpsUrl = z.url({ protocol: /^https$/, error: (issue) => `${JSON.stringify(issue.input)} is not an https URL` });

/**
 * What the weekly email says about the deployment (`REPORT_SETTINGS`): the organisation's name in its header, the
 * dashboard it links to, and who to ask to change its recipients (in its footer).
 */
export const ReportSettingsSchema = z
  .object({
    organizationName: nonEmpty.max(60, { error: 'must be at most 60 characters' }).optional(),
    dashboardUrl: httpsUrl.optional(),
    contact: nonEmpty.max(120, { error: 'must be at most 120 characters' }).optional(),
  })
  .strict();

/** Each job type's cron and time zone, as the monitoring sees them (`JOB_SCHEDULES`). */
export const JobSchedulesSchema = z.record(z.enum(JOB_TYPES), z.object({ cron, timeZone: TimeZoneSchema }).strict());

const positiveId = (what: string) =>
  z
    .number({ error: (issue) => `${JSON.stringify(issue.input)} is not ${what} (a positive whole number)` })
    .int({ error: (issue) => `${JSON.stringify(issue.input)} is not ${what} (a positive whole number)` })
    .positive({ error: (issue) => `${JSON.stringify(issue.input)} is not ${what} (a positive whole number)` });

/**
 * A GitHub App the jobs authenticate as instead of a personal token: its id, the Secrets Manager secret holding its
 * private key (PEM), and optionally the installations to use (all of the app's installations when absent).
 */
export const GitHubAppSchema = z
  .object({
    appId: positiveId('a GitHub App id'),
    privateKeySecretName: nonEmpty,
    installationIds: z
      .array(positiveId('an installation id'))
      .min(1, { error: 'must list at least one installation (or be left out for all of them)' })
      .refine((ids) => new Set(ids).size === ids.length, {
        error: (issue) => `${JSON.stringify(issue.input)} lists an installation twice`,
      })
      .optional(),
  })
  .strict();
export type GitHubAppSettings = z.infer<typeof GitHubAppSchema>;

const ownerOrRepository = (what: string, pattern: RegExp) =>
  z.string().regex(pattern, { error: (issue) => `${JSON.stringify(issue.input)} is not ${what}` });

/**
 * A webhook whose failed deliveries the hourly job asks GitHub to redeliver: a repository's or an organization's hook
 * (its id is in the hook's settings URL, `.../settings/hooks/<id>`), or the GitHub App's own webhook.
 */
export const WebhookHookSchema = z.union([
  z.object({ repository: ownerOrRepository('an owner/repo name', /^[^/\s]+\/[^/\s]+$/), id: positiveId('a hook id') }).strict(),
  z.object({ org: ownerOrRepository('an organization name', /^[^/\s]+$/), id: positiveId('a hook id') }).strict(),
  z.object({ app: z.literal(true) }).strict(),
]);
export type WebhookHook = z.infer<typeof WebhookHookSchema>;

const ConfigSchema = z
  .object({
    /** IANA time zone the schedules run in. */
    timeZone: TimeZoneSchema.default('UTC'),
    schedules: z
      .object({
        daily: cronField('0 2 * * *'),
        hourly: cronField('0 * * * *'),
        weekly: cronField('0 9 * * 1'),
      })
      .strict()
      .prefault({}),
    /** A run's budget: the state machine's TimeoutSeconds, and how long an overlap lock lives. */
    jobTimeoutMinutes: positiveInt(9, 60),
    scheduler: z
      .object({
        /** How often EventBridge Scheduler retries a failed StartExecution (0-185). */
        retryAttempts: boundedInt(3, 0, 185),
        /** How long a scheduled delivery may be retried (1-1,440 minutes). */
        maxEventAgeMinutes: boundedInt(60, 1, 1440),
      })
      .strict()
      .prefault({}),
    report: z
      .object({
        recipients: recipients,
        sender: email.optional(),
        ...ReportSettingsSchema.shape,
      })
      .strict()
      .prefault({}),
    /** Where CloudWatch alarms are emailed (an SNS subscription); optional. */
    alarmEmail: email.optional(),
    /** Deploy the operators' CloudWatch dashboard ($3.00 a month beyond an account's 3 free ones). */
    dashboard: z.boolean().default(false),
    github: z
      .object({
        apiUrl: z.url({ error: (issue) => `${JSON.stringify(issue.input)} is not a URL` }).default('https://api.github.com'),
        /** Secrets Manager secret holding the token in AWS. */
        tokenSecretName: z.string().min(1).default('cto-dashboard-jobs/github-token'),
        org: z.string().min(1).optional(),
        activeWithinDays: positiveInt(90, 3650),
        /** Percent of the primary rate limit kept for others using the same token: a project's sync stops at it. */
        rateLimitReserve: boundedInt(10, 0, 50),
        pacing: z
          .object({
            /** REST points a minute the sync may spend per token, all projects together (GitHub's secondary limit: 900). */
            pointsPerMinute: positiveInt(GITHUB_POINTS_PER_MINUTE, GITHUB_POINTS_PER_MINUTE),
            /** Project syncs at once per token (the daily Map's MaxConcurrency); each has one request in flight at most. */
            concurrentSyncs: positiveInt(5, GITHUB_MAX_CONCURRENT_REQUESTS),
          })
          .strict()
          .prefault({}),
        /** Authenticate as this GitHub App (one budget per installation) instead of with the token. */
        app: GitHubAppSchema.optional(),
      })
      .strict()
      .prefault({}),
    bugs: z
      .object({ labels: bugLabels, ...bugRuleFields })
      .strict()
      .prefault({}),
    /** Health score thresholds of the weekly health check. */
    healthThresholds: HealthThresholdsSchema.prefault({}),
    /** What the monitoring flags and pages on. */
    monitoring: MonitoringThresholdsSchema.prefault({}),
    alerts: z
      .object({
        ...alertRuleFields,
        /** Optional: the default depends on whether webhooks are on (DEFAULT_STALE_AFTER_HOURS). */
        staleAfterHours: staleAfterHours.optional(),
        /** Optional: SES email recipients of alerts (besides the on-call SNS topic). */
        emailRecipients: recipients,
        /** Sender of alert emails; defaults to report.sender. */
        sender: email.optional(),
        /** Optional: Secrets Manager secret holding a Slack incoming-webhook URL. */
        slackWebhookSecretName: nonEmpty.optional(),
      })
      .strict()
      .prefault({}),
    /** GitHub webhooks in (issue 15): present, the signed endpoint and its queue are deployed. */
    webhooks: z
      .object({
        /** Secrets Manager secret holding the webhook secret (the one entered on GitHub's webhook settings). */
        secretName: nonEmpty.default('cto-dashboard-jobs/github-webhook-secret'),
        /** Requests a second the endpoint takes, all callers together (the HTTP API's stage throttling); 429 above it. */
        rateLimitPerSecond: positiveInt(50, 10_000),
        /** Requests the endpoint takes at once above the rate (the throttling's burst). */
        burstLimit: positiveInt(100, 5_000),
        /** Days a delivery's GUID is remembered, so a redelivery is applied once: GitHub redelivers within 3 days. */
        deliveryRetentionDays: boundedInt(4, 3, 30),
        /** The hooks whose failed deliveries the hourly job has GitHub redeliver, once each (GitHub never does by itself). */
        hooks: z.array(WebhookHookSchema).max(20, { error: 'lists more than 20 hooks' }).optional(),
      })
      .strict()
      .optional(),
    retention: z
      .object({
        /** SyncEvents and other logs older than this are deleted by the daily job. */
        logDays: positiveInt(30, 3650),
        importLogDays: positiveInt(90, 3650),
        jobHistoryDays: positiveInt(400, 3650),
        keepSyncEvents: positiveInt(10_000, 10_000_000),
        keepJobRecords: positiveInt(1_000, 10_000_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { pointsPerMinute, concurrentSyncs } = config.github.pacing;
    if (concurrentSyncs >= pointsPerMinute) {
      ctx.addIssue({
        code: 'custom',
        path: ['github', 'pacing', 'concurrentSyncs'],
        message: `${concurrentSyncs} must be under github.pacing.pointsPerMinute (${pointsPerMinute}): each sync sends a request at least`,
      });
    }
    if (config.report.recipients.length > 0 && !config.report.sender) {
      ctx.addIssue({
        code: 'custom',
        path: ['report', 'sender'],
        message: `is required when report.recipients is set (${config.report.recipients.join(', ')})`,
      });
    }
    if (config.alerts.emailRecipients.length > 0 && !config.alerts.sender && !config.report.sender) {
      ctx.addIssue({
        code: 'custom',
        path: ['alerts', 'sender'],
        message: `(or report.sender) is required when alerts.emailRecipients is set (${config.alerts.emailRecipients.join(', ')})`,
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The bug rules the sync applies, from the configuration. */
export function bugRulesOf(config: Config): BugRules {
  return {
    bugLabels: config.bugs.labels,
    severityLabels: config.bugs.severityLabels,
    defaultSeverity: config.bugs.defaultSeverity,
    revenueLabelPattern: config.bugs.revenueLabelPattern,
    maxRevenuePerBug: config.bugs.maxRevenuePerBug,
    slaHours: config.bugs.slaHours,
  };
}

/**
 * The alert rules the hourly job applies, from the configuration. Unless set, a project is stale after 2 hours
 * unconfirmed when webhooks are on with their hooks listed (`webhooks.hooks`: the hourly check of a hook with nothing
 * outstanding confirms its quiet projects), after 26 hours otherwise: without the hooks listed, only deliveries and the
 * daily sync confirm a project, and a repository nobody touches would page every day.
 */
export function alertRulesOf(config: Config): AlertRules {
  const { revenueAtRiskThreshold, slaBreachSeverities, unassignedSeverities, cooldownHours } = config.alerts;
  const staleAfterHours =
    config.alerts.staleAfterHours ??
    (config.webhooks?.hooks?.length ? DEFAULT_STALE_AFTER_HOURS.withWebhooks : DEFAULT_STALE_AFTER_HOURS.withoutWebhooks);
  return { revenueAtRiskThreshold, slaBreachSeverities, unassignedSeverities, cooldownHours, staleAfterHours };
}

/** Each job type's cron and time zone, as the monitoring sees them. */
export function schedulesOf(config: Config): Record<JobType, JobSchedule> {
  return Object.fromEntries(
    (Object.keys(JOB_NAMES) as JobName[]).map((name) => [JOB_NAMES[name], { cron: config.schedules[name], timeZone: config.timeZone }]),
  ) as Record<JobType, JobSchedule>;
}

/** What the weekly email says about the deployment, from the configuration. */
export function reportSettingsOf(config: Config): ReportSettings {
  const { organizationName, dashboardUrl, contact } = config.report;
  return { organizationName, dashboardUrl, contact };
}

/** The sync's GitHub budget settings: the reserve, and each sync's pace, so all syncs at once stay under the points a minute. */
export function rateBudgetSettingsOf(config: Config): RateBudgetSettings {
  const { rateLimitReserve, pacing } = config.github;
  return { reservePercent: rateLimitReserve, pacingIntervalMs: pacingIntervalMs(pacing.pointsPerMinute, pacing.concurrentSyncs) };
}

/** Who sends alert emails: the alerts' own sender, else the report's. */
export function alertSenderOf(config: Config): string | undefined {
  return config.alerts.sender ?? config.report.sender;
}

/** Jobs that must not fall into a DST gap: they run once, so a skipped slot is a missed day or week. */
const GAP_CHECKED_SCHEDULES = ['daily', 'weekly'] as const;

/**
 * Validates raw configuration (the `ctoJobs` context object) and applies defaults.
 * @param now the day the DST check starts from.
 * @throws ConfigError listing every bad key with its value in `problems`, one a line in its message.
 */
export function parseConfig(raw: unknown, now: Date): Config {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw invalidConfiguration(
      result.error.issues.map((issue) => {
        const path = [CONFIG_CONTEXT_KEY, ...issue.path.map(String)].join('.');
        return `${path}: ${issue.message}`;
      }),
    );
  }
  const config = result.data;
  const problems: string[] = [];
  for (const job of GAP_CHECKED_SCHEDULES) {
    const gaps = findDstGaps(parseCron(config.schedules[job]), config.timeZone, now);
    if (gaps.length > 0) {
      const first = gaps[0]!;
      problems.push(
        `${CONFIG_CONTEXT_KEY}.schedules.${job}: "${config.schedules[job]}" fires at ${first.time} on ${first.date}, ` +
          `which does not exist in ${config.timeZone} (daylight-saving gap); EventBridge Scheduler would skip that run. ` +
          'Pick a time outside the gap (e.g. 03:30) or another time zone',
      );
    }
  }
  if (problems.length > 0) throw invalidConfiguration(problems);
  return config;
}

function invalidConfiguration(problems: readonly string[]): ConfigError {
  return new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
}
