/**
 * The weekly job's dependencies, each built from the Lambda environment only when a handler asks for it.
 * `REPORT_EMAILS` and `EMAIL_FROM` keep the original system's names.
 */
import { SESClient } from '@aws-sdk/client-ses';
import type { HealthThresholds } from '../domain/project-health.ts';
import { ENV, requireEnv, requireJson, requirePositiveInt } from '../environment.ts';

export function healthThresholdsFromEnvironment(): HealthThresholds {
  return requireJson(ENV.healthThresholds) as HealthThresholds;
}

export function archiveLimitsFromEnvironment(): { keepSyncEvents: number; keepJobRecords: number; importLogDays: number } {
  return {
    keepSyncEvents: requirePositiveInt(ENV.keepSyncEvents),
    keepJobRecords: requirePositiveInt(ENV.keepJobRecords),
    importLogDays: requirePositiveInt(ENV.importLogDays),
  };
}

/** Who gets the report, from whom, and how SES is reached; no recipients means render without sending. */
export function reportDeliveryFromEnvironment() {
  return {
    // One attempt: a retry after a lost answer could send the report twice; Step Functions retries answered errors.
    ses: new SESClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 } }),
    linkHost: requireEnv(ENV.githubWebHost),
    recipients: (process.env[ENV.reportRecipients] ?? '').split(',').map((address) => address.trim()).filter(Boolean),
    sender: process.env[ENV.reportSender] || undefined,
    outboxDirectory: process.env[ENV.localOutboxDirectory] || undefined,
  };
}
