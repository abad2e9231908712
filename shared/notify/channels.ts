/**
 * Where alert notifications go: the on-call SNS topic (or, locally, a JSON-lines file through the same
 * code), SES email, and a Slack incoming webhook. Each channel renders the digest its own way and
 * neutralises GitHub's text for its own syntax; `deliver` retries a channel's transient failures.
 */
import { appendFile } from 'node:fs/promises';
import type { SESClient } from '@aws-sdk/client-ses';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type AlertDigest, emailMessage, slackMessage, snsMessage } from '../domain/alert-message.ts';
import { PermanentDeliveryError } from '../errors.ts';
import { PERMANENT_SES_ERRORS, sendEmail } from './email.ts';

export interface AlertChannel {
  /** The name deliveries are recorded under (`on-call`, `email`, `slack`). */
  readonly name: string;
  send(digest: AlertDigest): Promise<void>;
}

/** How the on-call channel publishes: SNS in AWS, a file locally. */
export type Publisher = (message: { readonly subject: string; readonly message: string; readonly digest: AlertDigest }) => Promise<void>;

export function snsPublisher(client: SNSClient, topicArn: string): Publisher {
  return async ({ subject, message }) => {
    try {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    } catch (error) {
      throw classified(error, PERMANENT_SNS_ERRORS, 'SNS refused the message');
    }
  };
}

const PERMANENT_SNS_ERRORS = new Set([
  'AuthorizationErrorException',
  'NotFoundException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
]);

/** An AWS error whose name says retrying cannot help becomes a PermanentDeliveryError; others pass through. */
function classified(error: unknown, permanentNames: ReadonlySet<string>, what: string): unknown {
  return error instanceof Error && permanentNames.has(error.name)
    ? new PermanentDeliveryError(`${what}: ${error.name}: ${error.message}`, { cause: error })
    : error;
}

/** Appends each published message as one JSON line (the local stand-in for the SNS topic). */
export function filePublisher(file: string): Publisher {
  return async ({ subject, message, digest }) => {
    await appendFile(file, `${JSON.stringify({ publishedAt: new Date().toISOString(), subject, message, digest })}\n`);
  };
}

/** The on-call channel: everyone subscribed to the topic (email, a paging service's HTTPS endpoint). */
export function onCallChannel(publish: Publisher, linkHost: string): AlertChannel {
  return { name: 'on-call', send: (digest) => publish({ ...snsMessage(digest, linkHost), digest }) };
}

export function emailChannel(client: SESClient, sender: string, recipients: readonly string[], linkHost: string): AlertChannel {
  return {
    name: 'email',
    async send(digest) {
      try {
        await sendEmail(client, { sender, recipients, ...emailMessage(digest, linkHost) });
      } catch (error) {
        throw classified(error, PERMANENT_SES_ERRORS, 'SES refused the email');
      }
    },
  };
}

/** A Slack incoming webhook; the URL is a secret, so it is never put in an error message. */
export function slackChannel(webhookUrl: () => Promise<string>, linkHost: string): AlertChannel {
  return {
    name: 'slack',
    async send(digest) {
      const url = URL.parse(await webhookUrl());
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
        throw new PermanentDeliveryError('the Slack webhook is not an http(s) URL');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slackMessage(digest, linkHost)),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return;
      const body = (await response.text()).slice(0, 200);
      const failure = `Slack answered HTTP ${response.status}${body ? ` (${body})` : ''}`;
      // 429 and 5xx pass; any other 4xx (a revoked webhook: 403/404 `no_service`) will not.
      if (response.status === 429 || response.status >= 500) throw new Error(failure);
      throw new PermanentDeliveryError(failure);
    },
  };
}

export interface DeliveryOutcome {
  readonly channel: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error?: string;
}

/**
 * Sends on one channel, retrying transient failures with exponential backoff (`baseMs`, twice that, …).
 * Never throws: the outcome says what happened, so one channel never stops the others.
 */
export async function deliver(
  channel: AlertChannel,
  digest: AlertDigest,
  options: { readonly attempts: number; readonly baseMs: number },
): Promise<DeliveryOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await channel.send(digest);
      return { channel: channel.name, ok: true, attempts: attempt };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (error instanceof PermanentDeliveryError || attempt >= options.attempts) {
        return { channel: channel.name, ok: false, attempts: attempt, error: message };
      }
      await new Promise((resolve) => setTimeout(resolve, options.baseMs * 2 ** (attempt - 1)));
    }
  }
}
