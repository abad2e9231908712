/**
 * What pages on-call, and when: the alert rules turn the hourly figures into firing alerts, each with a
 * stable identity, and the notification policy compares them with the stored alert states so that an
 * alert is notified when it fires, again only after a cooldown or when it gets worse, and once when it
 * resolves. Pure; `now` is the run's scheduled time.
 */
import { type BugRules, isSlaBreached, SEVERITIES, type Severity } from './bugs.ts';
import { DEFAULT_STALE_AFTER_HOURS } from './freshness.ts';
import { type HourlyFigures, isOpenAt, isUnassignedIn, type OpenBug } from './hourly-metrics.ts';

/** The rules on bugs and revenue (the hourly metrics step). */
export const BUG_ALERT_RULES = ['unassigned_critical', 'sla_breach', 'revenue_at_risk'] as const;
/** The rule on the data itself, which the hourly metrics step judges beside the bug rules: a project not confirmed for too long. */
export const FRESHNESS_ALERT_RULES = ['project_stale'] as const;
/** The rules on the jobs themselves, and on a project the daily sync fails on run after run (the watchdog step). */
export const JOB_ALERT_RULES = [
  'consecutive_failures',
  'long_run',
  'stuck_run',
  'missed_run',
  'late_run',
  'project_sync_failing',
  'failure_rate',
  'low_success_rate',
  'runtime_anomaly',
  'ran_too_often',
  'skipped_runs',
] as const;
export type AlertRule = (typeof BUG_ALERT_RULES)[number] | (typeof FRESHNESS_ALERT_RULES)[number] | (typeof JOB_ALERT_RULES)[number];

/** Which step raises an alert: the bug and freshness rules (hourly metrics), or the watchdog of the jobs themselves. */
export type AlertSource = 'bugs' | 'jobs';
export const ALERT_SOURCES: readonly AlertSource[] = ['bugs', 'jobs'];

export function sourceOfRule(rule: AlertRule): AlertSource {
  return (JOB_ALERT_RULES as readonly string[]).includes(rule) ? 'jobs' : 'bugs';
}

export interface AlertRules {
  /** Dollars a day across all projects; revenue at risk strictly above it fires. */
  readonly revenueAtRiskThreshold: number;
  readonly slaBreachSeverities: readonly Severity[];
  readonly unassignedSeverities: readonly Severity[];
  readonly cooldownHours: number;
  /** A project not confirmed (synced, or a webhook delivery applied) for longer than this many hours is stale. */
  readonly staleAfterHours: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = {
  revenueAtRiskThreshold: 10_000,
  slaBreachSeverities: ['critical', 'high'],
  unassignedSeverities: ['critical'],
  cooldownHours: 24,
  staleAfterHours: DEFAULT_STALE_AFTER_HOURS.withoutWebhooks,
};

/** The identity of the organisation-wide revenue alert. */
const REVENUE_ALERT_ID = 'revenue_at_risk#all';

/** An alert whose condition holds at `now`. */
export interface FiringAlert {
  /** Stable identity: rule + project + bug number, or rule + `all`. */
  readonly alertId: string;
  readonly rule: AlertRule;
  readonly projectId?: string;
  readonly number?: number;
  /** For bug alerts the title: untrusted text, neutralised by each channel. */
  readonly title: string;
  readonly url?: string;
  readonly severity?: Severity;
  /**
   * The alert's magnitude: dollars a day (a bug's impact, the revenue at risk), a count (failed runs, missed slots),
   * or hours (a stale project's lag).
   */
  readonly value: number;
  /** Higher is worse: the bug's severity rank, or the revenue band. A rise re-notifies. */
  readonly level: number;
  /** When the bug was opened. */
  readonly openedAt?: string;
  /** Our own one-line details (job alerts), shown instead of a bug's severity, impact and age. */
  readonly detail?: string;
}

export interface AlertState extends FiringAlert {
  /** open: firing; resolved: stopped firing less than a cooldown ago (still watched for flapping); closed: done. */
  readonly status: 'open' | 'resolved' | 'closed';
  readonly firstSeenAt: string;
  readonly lastNotifiedAt: string;
  readonly notifiedLevel: number;
  readonly resolvedAt?: string;
}

export type NoticeKind = 'fired' | 'worse' | 'reminder' | 'resolved';

/** One alert's change worth telling on-call about. */
export interface AlertNotice {
  readonly kind: NoticeKind;
  readonly alert: AlertState;
}

/** Worse severities rank higher: low 0 … critical 3. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * The lower edge of revenue band `level`: the threshold times 1, 2, 5, 10, 20, 50, … Crossing into a
 * higher band counts as getting worse.
 */
export function revenueBandFloor(threshold: number, level: number): number {
  return threshold * [1, 2, 5][level % 3]! * 10 ** Math.floor(level / 3);
}

/** The band revenue at risk is in: the highest level whose floor it is strictly above (−1 below the threshold). */
export function revenueBandOf(revenueAtRisk: number, threshold: number): number {
  let level = -1;
  while (revenueAtRisk > revenueBandFloor(threshold, level + 1)) level++;
  return level;
}

/** Every bug and revenue alert whose condition holds at `now`. */
export function firingAlerts(
  openBugs: readonly OpenBug[],
  figures: HourlyFigures,
  now: Date,
  bugRules: Pick<BugRules, 'slaHours'>,
  rules: Pick<AlertRules, 'revenueAtRiskThreshold' | 'slaBreachSeverities' | 'unassignedSeverities'>,
): FiringAlert[] {
  const slaSeverities = new Set(rules.slaBreachSeverities);
  const unassignedSeverities = new Set(rules.unassignedSeverities);
  const firing: FiringAlert[] = [];
  for (const bug of openBugs) {
    if (!isOpenAt(bug, now)) continue;
    const about = {
      projectId: bug.projectId,
      number: bug.number,
      title: bug.title,
      url: bug.htmlUrl,
      severity: bug.severity,
      value: bug.revenueImpact,
      level: severityRank(bug.severity),
      openedAt: bug.createdAt,
    };
    if (isUnassignedIn(bug, unassignedSeverities)) {
      firing.push({ alertId: `unassigned_critical#${bug.projectId}#${bug.number}`, rule: 'unassigned_critical', ...about });
    }
    if (slaSeverities.has(bug.severity) && isSlaBreached(bug.createdAt, bug.severity, now, bugRules)) {
      firing.push({ alertId: `sla_breach#${bug.projectId}#${bug.number}`, rule: 'sla_breach', ...about });
    }
  }
  const revenue = figures.totals.revenueAtRisk;
  const band = revenueBandOf(revenue, rules.revenueAtRiskThreshold);
  if (band >= 0) {
    firing.push({
      alertId: REVENUE_ALERT_ID,
      rule: 'revenue_at_risk',
      title: `Revenue at risk above $${revenueBandFloor(rules.revenueAtRiskThreshold, band).toLocaleString('en-US')}/day`,
      value: revenue,
      level: band,
    });
  }
  return firing;
}

const NOTICE_ORDER: Record<NoticeKind, number> = { fired: 0, worse: 1, reminder: 2, resolved: 3 };

/**
 * Compares the firing alerts with the tracked alert states (open ones, and those resolved less than a
 * cooldown ago) at `now`. An alert that comes back within the cooldown of its resolution reopens
 * quietly, so a condition that flaps pages once, not every hour.
 * @returns the notices to send (most urgent first) and the states to write (only those that changed,
 * so an hour in which nothing changes writes nothing).
 */
export function planAlerts(
  firing: readonly FiringAlert[],
  tracked: readonly AlertState[],
  now: Date,
  cooldownHours: number,
): { notices: AlertNotice[]; writes: AlertState[] } {
  const at = now.toISOString();
  const cooldownMs = cooldownHours * 3_600_000;
  const trackedById = new Map(tracked.map((state) => [state.alertId, state]));
  const notices: AlertNotice[] = [];
  const writes: AlertState[] = [];
  for (const alert of firing) {
    const previous = trackedById.get(alert.alertId);
    trackedById.delete(alert.alertId);
    if (!previous) {
      const state: AlertState = { ...alert, status: 'open', firstSeenAt: at, lastNotifiedAt: at, notifiedLevel: alert.level };
      notices.push({ kind: 'fired', alert: state });
      writes.push(state);
      continue;
    }
    const kind: NoticeKind | undefined =
      alert.level > previous.notifiedLevel
        ? 'worse'
        : now.getTime() - Date.parse(previous.lastNotifiedAt) >= cooldownMs
          ? 'reminder'
          : undefined;
    const { resolvedAt: _resolvedAt, ...reopened } = previous;
    const state: AlertState = {
      ...reopened,
      ...alert,
      status: 'open',
      ...(kind ? { lastNotifiedAt: at, notifiedLevel: alert.level } : {}),
    };
    if (kind) notices.push({ kind, alert: state });
    if (kind || previous.status !== 'open' || hasChanged(previous, alert)) writes.push(state);
  }
  for (const previous of trackedById.values()) {
    if (previous.status === 'open') {
      const state: AlertState = { ...previous, status: 'resolved', resolvedAt: at, lastNotifiedAt: at };
      notices.push({ kind: 'resolved', alert: state });
      writes.push(state);
    } else if (now.getTime() - Date.parse(previous.resolvedAt ?? previous.lastNotifiedAt) >= cooldownMs) {
      writes.push({ ...previous, status: 'closed' });
    }
  }
  notices.sort(
    (a, b) =>
      NOTICE_ORDER[a.kind] - NOTICE_ORDER[b.kind] || b.alert.level - a.alert.level || a.alert.alertId.localeCompare(b.alert.alertId),
  );
  return { notices, writes };
}

function hasChanged(previous: AlertState, alert: FiringAlert): boolean {
  return previous.value !== alert.value || previous.level !== alert.level || previous.title !== alert.title;
}
