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
 * 1,000), else the project's default for the severity.
 */
export function revenueImpactOf(
  labels: readonly string[],
  severity: Severity,
  rules: BugRules,
  projectDefaults: Readonly<Record<Severity, number>>,
): number {
  const pattern = new RegExp(rules.revenueLabelPattern, 'i');
  for (const label of labels) {
    const match = pattern.exec(label.trim());
    if (!match?.[1]) continue;
    const amount = Number(match[1].replaceAll(',', ''));
    if (Number.isFinite(amount)) return match[2]?.toLowerCase() === 'k' ? amount * 1000 : amount;
  }
  return projectDefaults[severity];
}

/** Whether a bug open since `openedAt` is past its severity's SLA at `now` (strictly: at the limit it is not). */
export function isSlaBreached(openedAt: string, severity: Severity, now: Date, rules: Pick<BugRules, 'slaHours'>): boolean {
  return now.getTime() - Date.parse(openedAt) > rules.slaHours[severity] * 3_600_000;
}
