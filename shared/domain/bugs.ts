/**
 * What makes an issue a bug, how severe it is, what it costs per day, and whether it breached its SLA.
 * Pure; `now` is passed in.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface BugRules {
  /** Labels that make an issue a bug (case-insensitive). */
  readonly bugLabels: readonly string[];
  /** Labels that set each severity (case-insensitive); the most severe match wins. */
  readonly severityLabels: Readonly<Record<Severity, readonly string[]>>;
  /** Severity of a bug with none of the severity labels. */
  readonly defaultSeverity: Severity;
  /** A regular expression whose first group is the daily revenue impact in dollars (e.g. `revenue:2500`). */
  readonly revenueLabelPattern: string;
  /**
   * Most dollars a day one bug's revenue label counts for: anyone who can label an issue sets it, and
   * on-call is paged on the sum.
   */
  readonly maxRevenuePerBug: number;
  readonly slaHours: Readonly<Record<Severity, number>>;
}

export const DEFAULT_BUG_RULES: BugRules = {
  bugLabels: ['bug', 'type: bug', 'kind/bug', 'defect'],
  severityLabels: {
    critical: ['critical', 'p0', 'sev1', 'severity: critical'],
    high: ['high', 'p1', 'sev2', 'severity: high'],
    medium: ['medium', 'p2', 'sev3', 'severity: medium'],
    low: ['low', 'p3', 'sev4', 'severity: low'],
  },
  defaultSeverity: 'medium',
  revenueLabelPattern: '^revenue:\\s*\\$?([0-9][0-9,]*(?:\\.[0-9]+)?)(k?)$',
  maxRevenuePerBug: 1_000_000,
  slaHours: { critical: 24, high: 72, medium: 168, low: 720 },
};

const normalize = (label: string) => label.trim().toLowerCase();

/** Whether an issue with these labels is a bug. */
export function isBug(labels: readonly string[], rules: BugRules): boolean {
  const bugLabels = new Set(rules.bugLabels.map(normalize));
  return labels.some((label) => bugLabels.has(normalize(label)));
}

/** The most severe severity any label maps to, or the default. */
export function severityOf(labels: readonly string[], rules: BugRules): Severity {
  const present = new Set(labels.map(normalize));
  return (
    SEVERITIES.find((severity) => rules.severityLabels[severity].some((label) => present.has(normalize(label)))) ?? rules.defaultSeverity
  );
}

/**
 * Daily revenue impact in dollars: from the first label matching the revenue pattern (`k` multiplies by
 * 1,000) up to `rules.maxRevenuePerBug`, else the project's default for the severity.
 */
export function revenueImpactOf(
  labels: readonly string[],
  severity: Severity,
  rules: BugRules,
  projectDefaults: Readonly<Record<Severity, number>>,
): number {
  const asked = revenueLabelOf(labels, rules);
  return asked ? Math.min(asked.amount, rules.maxRevenuePerBug) : projectDefaults[severity];
}

/** A revenue label asking for more than the cap, which counts for the cap instead. */
export interface CappedRevenueLabel {
  readonly label: string;
  /** Dollars a day the label asks for (`Infinity` when too long a number to represent). */
  readonly askedPerDay: number;
  readonly countedPerDay: number;
}

/** The revenue label that was capped, if any: for a warning naming it (the sum on-call is paged on is not what it says). */
export function cappedRevenueLabelOf(labels: readonly string[], rules: BugRules): CappedRevenueLabel | undefined {
  const asked = revenueLabelOf(labels, rules);
  if (!asked || asked.amount <= rules.maxRevenuePerBug) return undefined;
  return { label: asked.label, askedPerDay: asked.amount, countedPerDay: rules.maxRevenuePerBug };
}

/** The first label matching the revenue pattern, with the dollars a day it asks for. */
function revenueLabelOf(labels: readonly string[], rules: BugRules): { readonly label: string; readonly amount: number } | undefined {
  const pattern = new RegExp(rules.revenueLabelPattern, 'i');
  for (const label of labels) {
    const match = pattern.exec(label.trim());
    if (!match?.[1]) continue;
    const amount = Number(match[1].replaceAll(',', ''));
    // A custom pattern may capture something that is not a number; 400 nines are read as Infinity, and capped.
    if (Number.isNaN(amount)) continue;
    return { label, amount: match[2]?.toLowerCase() === 'k' ? amount * 1000 : amount };
  }
  return undefined;
}

/** Whether a bug open since `openedAt` is past its severity's SLA at `now` (strictly: at the limit it is not). */
export function isSlaBreached(openedAt: string, severity: Severity, now: Date, rules: Pick<BugRules, 'slaHours'>): boolean {
  return now.getTime() - Date.parse(openedAt) > rules.slaHours[severity] * 3_600_000;
}
