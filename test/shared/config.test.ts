import { describe, expect, it } from 'vitest';
import { AlertRulesSchema, alertRulesOf, bugRulesOf, parseConfig } from '../../shared/config.ts';
import { DEFAULT_MONITORING_THRESHOLDS } from '../../shared/domain/monitoring.ts';
import { ConfigError } from '../../shared/errors.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, NOW);
  } catch (error) {
    if (error instanceof ConfigError && error.problems) return [...error.problems];
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('applies the documented defaults to an empty configuration', () => {
    const config = parseConfig({}, NOW);
    expect(config).toMatchObject({
      timeZone: 'UTC',
      schedules: { daily: '0 2 * * *', hourly: '0 * * * *', weekly: '0 9 * * 1' },
      jobTimeoutMinutes: 9,
      scheduler: { retryAttempts: 3, maxEventAgeMinutes: 60 },
      report: { recipients: [] },
      github: { apiUrl: 'https://api.github.com' },
      retention: { logDays: 30, importLogDays: 90, keepSyncEvents: 10_000, keepJobRecords: 1_000 },
      alerts: {
        revenueAtRiskThreshold: 10_000,
        slaBreachSeverities: ['critical', 'high'],
        unassignedSeverities: ['critical'],
        cooldownHours: 24,
        emailRecipients: [],
      },
    });
  });

  it('names bad alert settings and their values', () => {
    expect(
      problemsOf({
        alerts: { revenueAtRiskThreshold: -5, slaBreachSeverities: ['urgent'], cooldownHours: 1.5, slackWebhookSecretName: '' },
      }),
    ).toEqual([
      'ctoJobs.alerts.revenueAtRiskThreshold: -5 is below 1',
      'ctoJobs.alerts.slaBreachSeverities.0: "urgent" is not a severity (critical, high, medium, low)',
      'ctoJobs.alerts.cooldownHours: 1.5 is not a whole number',
      'ctoJobs.alerts.slackWebhookSecretName: must not be empty',
    ]);
  });

  it('calls a project stale after 26 h unconfirmed, 2 h with webhooks on, unless told otherwise, and names a bad value', () => {
    expect(alertRulesOf(parseConfig({}, NOW)).staleAfterHours).toBe(26);
    // 2 hours once the hooks are listed, whose hourly check confirms quiet projects; a webhook block alone keeps 26.
    expect(alertRulesOf(parseConfig({ webhooks: {} }, NOW)).staleAfterHours).toBe(26);
    expect(alertRulesOf(parseConfig({ webhooks: { hooks: [{ org: 'acme', id: 1 }] } }, NOW)).staleAfterHours).toBe(2);
    expect(alertRulesOf(parseConfig({ webhooks: {}, alerts: { staleAfterHours: 6 } }, NOW)).staleAfterHours).toBe(6);
    expect(alertRulesOf(parseConfig({ alerts: { staleAfterHours: 50 } }, NOW)).staleAfterHours).toBe(50);
    expect(problemsOf({ alerts: { staleAfterHours: 0 } })).toEqual(['ctoJobs.alerts.staleAfterHours: 0 is below 1']);
    expect(problemsOf({ alerts: { staleAfterHours: 2.5 } })).toEqual(['ctoJobs.alerts.staleAfterHours: 2.5 is not a whole number']);
    expect(problemsOf({ alerts: { staleAfterHours: 721 } })).toEqual(['ctoJobs.alerts.staleAfterHours: 721 is above 720']);
    // The hourly job's ALERT_RULES carries the resolved limit; one without it is refused rather than guessed.
    expect(AlertRulesSchema.parse(alertRulesOf(parseConfig({ webhooks: { hooks: [{ app: true }] } }, NOW))).staleAfterHours).toBe(2);
    const { staleAfterHours: _, ...withoutLimit } = alertRulesOf(parseConfig({}, NOW));
    expect(AlertRulesSchema.safeParse(withoutLimit).success).toBe(false);
  });

  it('alerts on a project failing 3 daily runs in a row unless told otherwise, and names a bad value', () => {
    expect(parseConfig({}, NOW).monitoring.consecutiveProjectFailures).toBe(3);
    expect(parseConfig({ monitoring: { consecutiveProjectFailures: 5 } }, NOW).monitoring.consecutiveProjectFailures).toBe(5);
    expect(problemsOf({ monitoring: { consecutiveProjectFailures: 0 } })).toEqual([
      'ctoJobs.monitoring.consecutiveProjectFailures: 0 is below 1',
    ]);
  });

  it("holds the cron monitor's run rules with their defaults, each bad value named with its key", () => {
    expect(parseConfig({}, NOW).monitoring).toEqual(DEFAULT_MONITORING_THRESHOLDS);
    const monitoring = { successRateAlertPercent: 99.5, fastRunFraction: 0.25, jobs: { weekly: { missedRunGraceMinutes: 120 } } };
    expect(parseConfig({ monitoring }, NOW).monitoring).toMatchObject(monitoring);
    expect(
      problemsOf({
        monitoring: {
          successRateWindowDays: 91,
          successRateMinRuns: 0,
          successRateAlertPercent: 0,
          fastRunFraction: 1,
          slowRunMultiple: 1,
          ranTooOftenWindowHours: 169,
          manualRunsAllowed: -1,
          skippedRunsPerDay: 2.5,
          jobs: { daily: { longRunMinutes: 61 }, weekly: { missedRunGraceMinutes: 0 } },
        },
      }),
    ).toEqual([
      'ctoJobs.monitoring.successRateWindowDays: 91 is above 90',
      'ctoJobs.monitoring.successRateMinRuns: 0 is below 1',
      'ctoJobs.monitoring.successRateAlertPercent: 0 is not above 0',
      'ctoJobs.monitoring.fastRunFraction: 1 is not below 1',
      'ctoJobs.monitoring.slowRunMultiple: 1 is not above 1',
      'ctoJobs.monitoring.ranTooOftenWindowHours: 169 is above 168',
      'ctoJobs.monitoring.manualRunsAllowed: -1 is below 0',
      'ctoJobs.monitoring.skippedRunsPerDay: 2.5 is not a whole number',
      'ctoJobs.monitoring.jobs.daily.longRunMinutes: 61 is above 60',
      'ctoJobs.monitoring.jobs.weekly.missedRunGraceMinutes: 0 is below 1',
    ]);
  });

  it('takes the failure rate and the runtime history at most their run counts, at the limit and one past it', () => {
    expect(problemsOf({ monitoring: { failureRateFailures: 10, failureRateRuns: 10, runtimeMinHistory: 20 } })).toEqual([]);
    expect(problemsOf({ monitoring: { failureRateFailures: 11, failureRateRuns: 10, runtimeMinHistory: 21 } })).toEqual([
      'ctoJobs.monitoring.failureRateFailures: 11 must not exceed monitoring.failureRateRuns (10)',
      'ctoJobs.monitoring.runtimeMinHistory: 21 must not exceed monitoring.runtimeHistoryRuns (20)',
    ]);
  });

  it('names a per-job grace for a job that does not exist, and a key a job does not take', () => {
    expect(problemsOf({ monitoring: { jobs: { daily_sync: { longRunMinutes: 5 }, hourly: { slowRunMinutes: 2 } } } })).toEqual([
      'ctoJobs.monitoring.jobs.daily_sync: "daily_sync" is not a job (daily, hourly, weekly)',
      'ctoJobs.monitoring.jobs.hourly: Unrecognized key: "slowRunMinutes"',
    ]);
  });

  it('deploys the dashboard only when asked to ($3.00 a month), and names a value that is not true or false', () => {
    expect(parseConfig({}, NOW).dashboard).toBe(false);
    expect(parseConfig({ dashboard: true }, NOW).dashboard).toBe(true);
    expect(problemsOf({ dashboard: 'yes' })).toHaveLength(1);
    expect(problemsOf({ dashboard: 'yes' })[0]).toMatch(/^ctoJobs\.dashboard: /);
  });

  it('caps revenue per bug at $1,000,000 a day unless told otherwise, within 1 to 1,000,000,000', () => {
    expect(bugRulesOf(parseConfig({}, NOW)).maxRevenuePerBug).toBe(1_000_000);
    expect(bugRulesOf(parseConfig({ bugs: { maxRevenuePerBug: 50_000 } }, NOW)).maxRevenuePerBug).toBe(50_000);
    expect(problemsOf({ bugs: { maxRevenuePerBug: 0 } })).toEqual(['ctoJobs.bugs.maxRevenuePerBug: 0 is below 1']);
    expect(problemsOf({ bugs: { maxRevenuePerBug: 2e9 } })).toEqual(['ctoJobs.bugs.maxRevenuePerBug: 2000000000 is above 1000000000']);
  });

  it('takes health thresholds in order, naming them when they are not', () => {
    expect(parseConfig({}, NOW).healthThresholds).toEqual({ healthy: 80, warning: 50 });
    expect(problemsOf({ healthThresholds: { healthy: 60, warning: 70 } })).toEqual([
      'ctoJobs.healthThresholds.warning: 70 must be below healthThresholds.healthy (60)',
    ]);
    expect(problemsOf({ healthThresholds: { healthy: 101 } })).toEqual(['ctoJobs.healthThresholds.healthy: 101 is above 100']);
  });

  it('caps recipients at the 50 addresses SES takes', () => {
    const many = Array.from({ length: 51 }, (_, i) => `cto${i}@example.com`);
    expect(problemsOf({ report: { recipients: many, sender: 'jobs@example.com' } })).toEqual([
      'ctoJobs.report.recipients: has 51 addresses; SES sends to at most 50',
    ]);
  });

  it('requires a sender for alert emails, its own or the report one', () => {
    expect(problemsOf({ alerts: { emailRecipients: ['oncall@example.com'] } })).toEqual([
      'ctoJobs.alerts.sender: (or report.sender) is required when alerts.emailRecipients is set (oncall@example.com)',
    ]);
    expect(problemsOf({ alerts: { emailRecipients: ['oncall@example.com'] }, report: { sender: 'jobs@example.com' } })).toEqual([]);
  });

  it('names a wrong time zone and its value', () => {
    expect(problemsOf({ timeZone: 'Mars/Olympus_Mons' })).toEqual([
      'ctoJobs.timeZone: "Mars/Olympus_Mons" is not an IANA time zone (e.g. "UTC", "Europe/Berlin")',
    ]);
  });

  it('names a malformed cron and its field', () => {
    expect(problemsOf({ schedules: { daily: '0 26 * * *' } })).toEqual([
      'ctoJobs.schedules.daily: "0 26 * * *": hour field "26" is outside 0-23',
    ]);
  });

  it('requires a sender when recipients are set', () => {
    expect(problemsOf({ report: { recipients: ['cto@example.com'] } })).toEqual([
      'ctoJobs.report.sender: is required when report.recipients is set (cto@example.com)',
    ]);
  });

  it('lists every problem at once, unknown keys included', () => {
    expect(problemsOf({ report: { recipients: ['not-an-address'] }, jobTimeoutMinutes: 0, colour: 'blue' })).toEqual([
      'ctoJobs.jobTimeoutMinutes: 0 is below 1',
      'ctoJobs.report.recipients.0: "not-an-address" is not an email address',
      'ctoJobs: Unrecognized key: "colour"',
    ]);
  });

  it('rejects a daily time inside the DST gap of its time zone, which Scheduler would skip', () => {
    const [problem] = problemsOf({ timeZone: 'Europe/Berlin', schedules: { daily: '30 2 * * *' } });
    expect(problem).toContain('ctoJobs.schedules.daily: "30 2 * * *" fires at 02:30 on 2027-03-28');
    expect(problem).toContain('does not exist in Europe/Berlin');
  });

  it('accepts a daily time outside the gap in a DST zone', () => {
    expect(problemsOf({ timeZone: 'Europe/Berlin', schedules: { daily: '30 3 * * *' } })).toEqual([]);
  });
});
