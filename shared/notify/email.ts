/** Email through SES: the alert channel's and the weekly report's one way to send a message. */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';

export interface EmailMessage {
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/**
 * Sends one message to every recipient (SES takes at most 50, which the configuration enforces).
 * @returns SES's message id.
 */
export async function sendEmail(client: SESClient, message: EmailMessage): Promise<string | undefined> {
  const output = await client.send(
    new SendEmailCommand({
      Source: message.sender,
      Destination: { ToAddresses: [...message.recipients] },
      Message: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
      },
    }),
  );
  return output.MessageId;
}

/** SES errors no retry fixes. */
export const PERMANENT_SES_ERRORS: ReadonlySet<string> = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'AccountSendingPausedException',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidParameterValue',
]);
