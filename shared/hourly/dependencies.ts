/**
 * The hourly job's dependencies, each built from the Lambda environment only when a handler asks for it:
 * a function is given only the tables, settings and channels it uses.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AlertRules } from '../domain/alerts.ts';
import { ENV, requireEnv, requireJson, requirePositiveInt } from '../environment.ts';
import { emailChannel, filePublisher, onCallChannel, slackChannel, snsPublisher, type AlertChannel } from '../notify/channels.ts';
import { cachedSecret } from '../secret.ts';
import { AlertsStore } from '../store/alerts-store.ts';
import { documentClient } from '../store/dynamo-client.ts';

export function alertsStoreFromEnvironment(): AlertsStore {
  return new AlertsStore(documentClient, requireEnv(ENV.alertsTable));
}

/** The alert rules the stack was configured with (validated by the configuration schema at synth). */
export function alertRulesFromEnvironment(): AlertRules {
  return requireJson(ENV.alertRules) as AlertRules;
}

/** Attempts per channel and the first backoff: 1 s, then 2 s. */
export function deliveryRetryFromEnvironment(): { attempts: number; baseMs: number } {
  return { attempts: 3, baseMs: process.env[ENV.alertRetryBaseMs] ? requirePositiveInt(ENV.alertRetryBaseMs) : 1000 };
}

/** Each request gives up after 5 s, so three attempts per channel stay well inside the task's budget. */
const BOUNDED_REQUESTS = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } };

/**
 * The configured channels: on-call always (SNS, or the local alerts file), email when it has recipients,
 * Slack when a webhook (its secret, or locally its URL) is set.
 */
export function alertChannelsFromEnvironment(): AlertChannel[] {
  const linkHost = requireEnv(ENV.githubWebHost);
  const localFile = process.env[ENV.localAlertsFile];
  const channels = [onCallChannel(localFile ? filePublisher(localFile) : snsPublisher(new SNSClient(BOUNDED_REQUESTS), requireEnv(ENV.alertTopicArn)), linkHost)];
  const recipients = (process.env[ENV.alertEmailRecipients] ?? '').split(',').map((address) => address.trim()).filter(Boolean);
  if (recipients.length > 0) channels.push(emailChannel(new SESClient(BOUNDED_REQUESTS), requireEnv(ENV.alertEmailSender), recipients, linkHost));
  if (process.env[ENV.slackWebhookUrl] || process.env[ENV.slackWebhookSecret]) {
    channels.push(slackChannel(cachedSecret('webhook URL', ENV.slackWebhookUrl, ENV.slackWebhookSecret), linkHost));
  }
  return channels;
}
