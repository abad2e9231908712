/**
 * A project's hourly aggregate: its figures at an instant A, the open bugs that fire a bug alert at A, and every
 * later instant at which time alone changes what one of its stored items counts for (a bug opened after A, an SLA
 * deadline, a closure entering or leaving the 7- and 14-day windows). Kept current by every writer of the project's
 * items, it lets the hourly job take a project's figures at `now` from one item, reading only the items whose
 * contribution changed in (A, now]. Pure; the instants are passed in.
 */
import { type BugRules, isSlaBreached, SEVERITIES, type Severity } from './bugs.ts';
import {
  type ClosedBug,
  type CountingRules,
  countingRules,
  emptyTally,
  isOpenAt,
  isUnassignedIn,
  type OpenBug,
  type SeverityFilters,
  type Tally,
  tallyClosure,
  tallyOpenBug,
  VELOCITY_WINDOW_DAYS,
} from './hourly-metrics.ts';

const HOUR_MS = 3_600_000;
const WINDOW_MS = VELOCITY_WINDOW_DAYS * 86_400_000;
/**
 * Past this size an aggregate is stored as `overflow` and the hourly job reads the project in full: DynamoDB's
 * item limit is 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 */
export const MAX_AGGREGATE_BYTES = 300_000;

/** Everything the figures and the bug alerts depend on besides the items. */
export type AggregateRules = Pick<BugRules, 'slaHours' | 'maxRevenuePerBug'> & SeverityFilters;

/**
 * What makes an item's contribution change with time alone, and the index whose sort key tells when: an open bug
 * opened after A or reaching its severity's SLA deadline (open bugs by `createdAt`); a closure entering velocity,
 * moving to the previous week or leaving it (closures by `closedAt`).
 */
export const CHANGE_KINDS = [
  'opening',
  ...SEVERITIES.map((severity) => `deadline:${severity}` as const),
  'closing',
  'week',
  'fortnight',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ProjectAggregate {
  readonly projectId: string;
  /** The instant A the aggregate describes. */
  readonly at: string;
  /** The rules it was counted by ({@link rulesKeyOf}): another key means it must be rebuilt. */
  readonly rulesKey: string;
  readonly tally: Tally;
  /** The open bugs that fire a bug alert at A (unassigned, or past their SLA, in the paging severities). */
  readonly alertingBugs: readonly OpenBug[];
  /** Every instant (epoch ms) after A at which an item's contribution changes, by kind, in ascending order. */
  readonly upcoming: Partial<Record<ChangeKind, number[]>>;
}

/** A fingerprint of the rules, stable under the order of the severity filters. */
export function rulesKeyOf(rules: AggregateRules): string {
  return JSON.stringify([
    SEVERITIES.map((severity) => rules.slaHours[severity]),
    rules.maxRevenuePerBug,
    SEVERITIES.filter((severity) => rules.slaBreachSeverities.includes(severity)),
    SEVERITIES.filter((severity) => rules.unassignedSeverities.includes(severity)),
  ]);
}

/** Whether an open bug fires a bug alert at `now`: the conditions of `firingAlerts`, for one bug. */
export function isAlertingAt(bug: OpenBug, now: Date, counting: CountingRules): boolean {
  if (!isOpenAt(bug, now)) return false;
  if (isUnassignedIn(bug, counting.unassignedSeverities)) return true;
  return counting.slaSeverities.has(bug.severity) && isSlaBreached(bug.createdAt, bug.severity, now, counting.rules);
}

/**
 * The first instant (epoch ms) at which each kind of change alters an open bug's contribution. The SLA is breached
 * strictly after the limit (`isSlaBreached`), so a deadline changes the figures one millisecond after it.
 */
function openBugChanges(bug: OpenBug, rules: AggregateRules): [ChangeKind, number][] {
  const openedAt = Date.parse(bug.createdAt);
  return [
    ['opening', openedAt],
    [`deadline:${bug.severity}`, openedAt + rules.slaHours[bug.severity] * HOUR_MS + 1],
  ];
}

/** The first instant at which each kind of change alters a closure's contribution to velocity. */
function closureChanges(closure: ClosedBug): [ChangeKind, number][] {
  const closedAt = Date.parse(closure.closedAt);
  return [
    ['closing', closedAt],
    ['week', closedAt + WINDOW_MS],
    ['fortnight', closedAt + 2 * WINDOW_MS],
  ];
}

/**
 * A project's aggregate at `at`, from every open bug it stores (opened later too) and every closure after
 * `at` − 14 days (later ones too).
 */
export function buildAggregate(
  projectId: string,
  openBugs: readonly OpenBug[],
  closures: readonly ClosedBug[],
  at: Date,
  rules: AggregateRules,
): ProjectAggregate {
  const counting = countingRules(rules, rules);
  const tally = emptyTally();
  const upcoming: Partial<Record<ChangeKind, number[]>> = {};
  const note = ([kind, instant]: [ChangeKind, number]) => {
    if (instant <= at.getTime()) return;
    const instants = upcoming[kind] ?? [];
    instants.push(instant);
    upcoming[kind] = instants;
  };
  for (const bug of openBugs) {
    tallyOpenBug(tally, bug, at, counting, 1);
    openBugChanges(bug, rules).forEach(note);
  }
  for (const closure of closures) {
    tallyClosure(tally, closure, at, 1);
    closureChanges(closure).forEach(note);
  }
  for (const instants of Object.values(upcoming)) instants.sort((a, b) => a - b);
  return {
    projectId,
    at: at.toISOString(),
    rulesKey: rulesKeyOf(rules),
    tally,
    alertingBugs: openBugs.filter((bug) => isAlertingAt(bug, at, counting)),
    upcoming,
  };
}

/** A span of an index's sort key (epoch ms, `from` exclusive, `to` inclusive) whose items may change contribution. */
export interface ChangedSpan {
  readonly index: 'openBugs' | 'bugClosures';
  readonly from: number;
  readonly to: number;
}

/**
 * The spans of the open-bugs and closures indexes holding every item whose contribution differs between the
 * aggregate's instant and `now`, overlapping spans merged; none when time alone changed nothing.
 */
export function changedSpans(aggregate: ProjectAggregate, now: Date, rules: AggregateRules): ChangedSpan[] {
  const from = Date.parse(aggregate.at);
  const to = now.getTime();
  // The sort key of an item whose change instant is t, for each kind: t minus the kind's offset.
  const offsetOf = (kind: ChangeKind): [ChangedSpan['index'], number] => {
    if (kind === 'opening') return ['openBugs', 0];
    if (kind.startsWith('deadline:')) return ['openBugs', rules.slaHours[kind.slice(9) as Severity] * HOUR_MS + 1];
    return ['bugClosures', kind === 'closing' ? 0 : kind === 'week' ? WINDOW_MS : 2 * WINDOW_MS];
  };
  const spans = CHANGE_KINDS.filter((kind) => (aggregate.upcoming[kind]?.[0] ?? Infinity) <= to)
    .map((kind) => {
      const [index, offset] = offsetOf(kind);
      return { index, from: from - offset, to: to - offset };
    })
    .sort((a, b) => a.index.localeCompare(b.index) || a.from - b.from);
  const merged: ChangedSpan[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last?.index === span.index && span.from <= last.to) merged[merged.length - 1] = { ...last, to: Math.max(last.to, span.to) };
    else merged.push(span);
  }
  return merged;
}

/**
 * The aggregate moved forward to `now`: each item read in the changed spans (a superset of those whose contribution
 * changed) has its contribution at A taken away and its contribution at `now` added; every other item counts the
 * same at both instants, so the result equals a full recount at `now`.
 */
export function advanceAggregate(
  aggregate: ProjectAggregate,
  changed: { readonly openBugs: readonly OpenBug[]; readonly closures: readonly ClosedBug[] },
  now: Date,
  rules: AggregateRules,
): ProjectAggregate {
  const counting = countingRules(rules, rules);
  const at = new Date(aggregate.at);
  const tally = structuredClone(aggregate.tally);
  const openBugs = uniqueByNumber(changed.openBugs);
  for (const bug of openBugs) {
    tallyOpenBug(tally, bug, at, counting, -1);
    tallyOpenBug(tally, bug, now, counting, 1);
  }
  for (const closure of uniqueByNumber(changed.closures)) {
    tallyClosure(tally, closure, at, -1);
    tallyClosure(tally, closure, now, 1);
  }
  const reread = new Set(openBugs.map((bug) => bug.number));
  const upcoming = Object.fromEntries(
    Object.entries(aggregate.upcoming)
      .map(([kind, instants]) => [kind, instants.filter((instant) => instant > now.getTime())])
      .filter(([, instants]) => instants.length > 0),
  );
  return {
    ...aggregate,
    at: now.toISOString(),
    tally,
    alertingBugs: [
      ...aggregate.alertingBugs.filter((bug) => !reread.has(bug.number)),
      ...openBugs.filter((bug) => isAlertingAt(bug, now, counting)),
    ],
    upcoming,
  };
}

/** Whether the aggregate is small enough to store as one item. */
export function fitsOneItem(aggregate: ProjectAggregate): boolean {
  return Buffer.byteLength(JSON.stringify(aggregate)) <= MAX_AGGREGATE_BYTES;
}

function uniqueByNumber<T extends { readonly number: number }>(items: readonly T[]): T[] {
  return [...new Map(items.map((item) => [item.number, item])).values()];
}
