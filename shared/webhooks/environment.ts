/** The environment variables of the webhook functions, shared with the construct that sets them. */
export const WEBHOOK_ENV = {
  /** The WebhookDeliveries table (delivery GUIDs already received). */
  deliveriesTable: 'WEBHOOK_DELIVERIES_TABLE',
  /** Days a delivery's GUID is remembered. */
  deliveryRetentionDays: 'WEBHOOK_DELIVERY_RETENTION_DAYS',
  /** The Secrets Manager secret holding the webhook secret. */
  secretName: 'WEBHOOK_SECRET_NAME',
  /** Local runs: the webhook secret itself. */
  secret: 'WEBHOOK_SECRET',
  /** The SQS queue accepted deliveries are sent to, which feeds the consumer. */
  deliveriesQueueUrl: 'WEBHOOK_DELIVERIES_QUEUE_URL',
} as const;
