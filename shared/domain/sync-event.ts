/** SyncEvents: what each step of a run did. Pure; no SDK imports. */

export const EVENT_TYPES = [
  'job',
  'github_sync',
  /** Org discovery deactivated a project: its repository was archived or deleted. */
  'discovery',
  'metrics',
  'sla_check',
  'alert',
  'report',
  'archive',
  'cleanup',
  'health_check',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type EventLevel = 'info' | 'warn' | 'error';

export interface SyncEvent {
  readonly runId: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  readonly eventType: EventType;
  readonly level: EventLevel;
  readonly message: string;
  readonly project?: string;
  readonly recordsProcessed?: number;
  readonly recordsFailed?: number;
  readonly durationMs?: number;
}

const DAY_MS = 86_400_000;

/** The instant before which logs are expired, `days` before `now`. */
export function retentionCutoff(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/** TTL value (epoch seconds) for something that lives `days` after `timestamp`. */
export function expiryOf(timestamp: string, days: number): number {
  return Math.floor((Date.parse(timestamp) + days * DAY_MS) / 1000);
}
