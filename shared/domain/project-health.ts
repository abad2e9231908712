/** A project's health status, from its health score: healthy, warning or critical. Pure. */

export const HEALTH_STATUSES = ['healthy', 'warning', 'critical'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** The lowest score of each better status: healthy at or above `healthy`, warning at or above `warning`. */
export interface HealthThresholds {
  readonly healthy: number;
  readonly warning: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { healthy: 80, warning: 50 };

export function healthStatusOf(score: number, thresholds: HealthThresholds): HealthStatus {
  if (score >= thresholds.healthy) return 'healthy';
  return score >= thresholds.warning ? 'warning' : 'critical';
}

/** A project's classified status on one date, as stored. */
export interface ProjectStatus {
  readonly projectId: string;
  readonly date: string;
  readonly status: HealthStatus;
  readonly score: number;
  /** The status before, when it changed (absent for a project's first classification). */
  readonly previousStatus?: HealthStatus;
}
