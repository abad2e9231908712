/**
 * The project health score, 0-100. Versioned: the formula's id is stored beside every score with its
 * inputs and each penalty, so anyone can see why a project scored 62. Pure.
 *
 * health-v2 (current): 100 minus seven penalties. Each penalty saturates smoothly towards its weight,
 * `weight × (1 − 2^(−load / half))`, so it costs half its weight when its load reaches `half` and never
 * more than its weight (the weights add up to 100). Counts of bugs and pull requests are divided by the
 * project's scale, `max(1, √(active bugs / 10))` with active bugs = open bugs + bugs closed in the last 30
 * days: a team that handles 40 bugs a month is judged on its critical bugs per unit of that activity,
 * not as if it were a 10-bug project. Revenue at risk and unassigned critical bugs are not scaled (a
 * dollar, and a critical bug nobody works on, weigh the same in any project). docs/design.md works an
 * example through.
 *
 * health-v1 (snapshots before health-v2; kept so they stay readable and explainable): start at 100 and
 * subtract, each penalty capped; clamped to 0-100 and rounded.
 * | input | points | cap |
 * |---|---|---|
 * | open critical bugs | 15 each | 45 |
 * | open high bugs | 5 each | 20 |
 * | SLA breaches | 4 each | 20 |
 * | unassigned critical bugs | 5 each | 10 |
 * | revenue at risk | 1 per $1,000/day | 15 |
 * | backlog growth (bugs opened - closed, last 7 days) | 2 each | 10 |
 * | stale PRs (open > 14 days) | 1 each | 10 |
 * On realistic repositories most projects lost every point (4 of 5 scored 0), hence v2.
 */

export const HEALTH_FORMULA_VERSION = 'health-v2';

/** What health-v1 scored (and what its stored snapshots hold). */
export interface HealthInputsV1 {
  readonly openCritical: number;
  readonly openHigh: number;
  readonly slaBreaches: number;
  readonly unassignedCritical: number;
  readonly revenueAtRisk: number;
  readonly bugsOpened7d: number;
  readonly bugsClosed7d: number;
  readonly stalePullRequests: number;
}

/** What health-v2 scores: v1's inputs and the project's size and activity. */
export interface HealthInputs extends HealthInputsV1 {
  /** Open bugs of every severity. */
  readonly openBugs: number;
  readonly bugsClosed30d: number;
}

export type PenaltyName =
  | 'openCritical'
  | 'openHigh'
  | 'slaBreaches'
  | 'unassignedCritical'
  | 'revenueAtRisk'
  | 'backlogGrowth'
  | 'stalePullRequests';

/** Points subtracted for each input (0 where it cost nothing). */
export type Penalties = Readonly<Record<PenaltyName, number>>;

export interface HealthScoreV1 {
  readonly score: number;
  readonly formulaVersion: 'health-v1';
  readonly inputs: HealthInputsV1;
  readonly penalties: Penalties;
}

export interface HealthScoreV2 {
  readonly score: number;
  readonly formulaVersion: typeof HEALTH_FORMULA_VERSION;
  readonly inputs: HealthInputs;
  /** What the counts were divided by: `max(1, √(active bugs / 10))`. */
  readonly scale: number;
  /** Points subtracted for each input, to one decimal (they add up to 100 − score, give or take the rounding). */
  readonly penalties: Penalties;
}

/** A stored score: the current formula's, or health-v1's in older snapshots. */
export type HealthScore = HealthScoreV1 | HealthScoreV2;

/** Active bugs (open + closed in 30 days) of a project whose counts are taken as they are; bigger ones are scaled down. */
const REFERENCE_ACTIVE_BUGS = 10;

interface SaturatingPenalty {
  /** The most points the penalty can cost. */
  readonly weight: number;
  /** The load at which it costs half its weight. */
  readonly half: number;
  /** Whether the load is divided by the project's scale. */
  readonly scaled: boolean;
  readonly load: (inputs: HealthInputs) => number;
}

const V2_PENALTIES: Readonly<Record<PenaltyName, SaturatingPenalty>> = {
  openCritical: { weight: 25, half: 1, scaled: true, load: (inputs) => inputs.openCritical },
  openHigh: { weight: 12, half: 2, scaled: true, load: (inputs) => inputs.openHigh },
  slaBreaches: { weight: 20, half: 3, scaled: true, load: (inputs) => inputs.slaBreaches },
  unassignedCritical: { weight: 8, half: 1, scaled: false, load: (inputs) => inputs.unassignedCritical },
  revenueAtRisk: { weight: 15, half: 7_500, scaled: false, load: (inputs) => inputs.revenueAtRisk },
  backlogGrowth: { weight: 10, half: 3, scaled: true, load: (inputs) => Math.max(0, inputs.bugsOpened7d - inputs.bugsClosed7d) },
  stalePullRequests: { weight: 10, half: 3, scaled: true, load: (inputs) => inputs.stalePullRequests },
};

/** The divisor of a project's counts: 1 up to 10 active bugs, then the square root of how many times bigger it is. */
export function healthScaleOf(inputs: Pick<HealthInputs, 'openBugs' | 'bugsClosed30d'>): number {
  return Math.max(1, Math.sqrt((inputs.openBugs + inputs.bugsClosed30d) / REFERENCE_ACTIVE_BUGS));
}

/** Scores a project from its inputs with the current formula (health-v2). */
export function healthScore(inputs: HealthInputs): HealthScoreV2 {
  const scale = healthScaleOf(inputs);
  const exact = Object.fromEntries(
    Object.entries(V2_PENALTIES).map(([name, rule]) => {
      const load = rule.load(inputs) / (rule.scaled ? scale : 1);
      return [name, rule.weight * saturation(load / rule.half)];
    }),
  ) as Record<PenaltyName, number>;
  const total = Object.values(exact).reduce((sum, points) => sum + points, 0);
  const penalties = Object.fromEntries(Object.entries(exact).map(([name, points]) => [name, oneDecimal(points)])) as Penalties;
  return { score: Math.round(100 - total), formulaVersion: HEALTH_FORMULA_VERSION, inputs, scale: oneDecimal(scale), penalties };
}

const V1_PENALTIES: Readonly<Record<PenaltyName, { per: number; cap: number; of: (inputs: HealthInputsV1) => number }>> = {
  openCritical: { per: 15, cap: 45, of: (inputs) => inputs.openCritical },
  openHigh: { per: 5, cap: 20, of: (inputs) => inputs.openHigh },
  slaBreaches: { per: 4, cap: 20, of: (inputs) => inputs.slaBreaches },
  unassignedCritical: { per: 5, cap: 10, of: (inputs) => inputs.unassignedCritical },
  revenueAtRisk: { per: 1, cap: 15, of: (inputs) => Math.floor(inputs.revenueAtRisk / 1000) },
  backlogGrowth: { per: 2, cap: 10, of: (inputs) => Math.max(0, inputs.bugsOpened7d - inputs.bugsClosed7d) },
  stalePullRequests: { per: 1, cap: 10, of: (inputs) => inputs.stalePullRequests },
};

/** Scores with health-v1, the formula of older snapshots: to explain or compare a stored v1 score from its inputs. */
export function healthScoreV1(inputs: HealthInputsV1): HealthScoreV1 {
  const penalties = Object.fromEntries(
    Object.entries(V1_PENALTIES).map(([name, rule]) => [name, Math.min(rule.cap, rule.per * rule.of(inputs))]),
  ) as Record<PenaltyName, number>;
  const total = Object.values(penalties).reduce((sum, points) => sum + points, 0);
  return { score: Math.round(Math.min(100, Math.max(0, 100 - total))), formulaVersion: 'health-v1', inputs, penalties };
}

/** 0 at 0, ½ at 1, towards 1 beyond: flat for the first few (a project is not punished for one bug), steepest around 1. */
function saturation(ratio: number): number {
  return ratio ** 2 / (ratio ** 2 + 1);
}

function oneDecimal(value: number): number {
  return Math.round(value * 10) / 10;
}
