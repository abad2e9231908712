/**
 * The project health score, 0-100. Versioned: the formula's id is stored beside every score with its
 * inputs and each penalty, so anyone can see why a project scored 62.
 *
 * health-v1: start at 100 and subtract, each penalty capped:
 * | input | points | cap |
 * |---|---|---|
 * | open critical bugs | 15 each | 45 |
 * | open high bugs | 5 each | 20 |
 * | SLA breaches | 4 each | 20 |
 * | unassigned critical bugs | 5 each | 10 |
 * | revenue at risk | 1 per $1,000/day | 15 |
 * | backlog growth (bugs opened - closed, last 7 days) | 2 each | 10 |
 * | stale PRs (open > 14 days) | 1 each | 10 |
 * The result is clamped to 0-100 and rounded.
 */

export const HEALTH_FORMULA_VERSION = 'health-v1';

export interface HealthInputs {
  readonly openCritical: number;
  readonly openHigh: number;
  readonly slaBreaches: number;
  readonly unassignedCritical: number;
  readonly revenueAtRisk: number;
  readonly bugsOpened7d: number;
  readonly bugsClosed7d: number;
  readonly stalePullRequests: number;
}

export interface HealthScore {
  readonly score: number;
  readonly formulaVersion: typeof HEALTH_FORMULA_VERSION;
  readonly inputs: HealthInputs;
  /** Points subtracted for each input (0 where it cost nothing). */
  readonly penalties: Readonly<Record<keyof typeof PENALTIES, number>>;
}

const PENALTIES = {
  openCritical: { per: 15, cap: 45, of: (inputs: HealthInputs) => inputs.openCritical },
  openHigh: { per: 5, cap: 20, of: (inputs: HealthInputs) => inputs.openHigh },
  slaBreaches: { per: 4, cap: 20, of: (inputs: HealthInputs) => inputs.slaBreaches },
  unassignedCritical: { per: 5, cap: 10, of: (inputs: HealthInputs) => inputs.unassignedCritical },
  revenueAtRisk: { per: 1, cap: 15, of: (inputs: HealthInputs) => Math.floor(inputs.revenueAtRisk / 1000) },
  backlogGrowth: { per: 2, cap: 10, of: (inputs: HealthInputs) => Math.max(0, inputs.bugsOpened7d - inputs.bugsClosed7d) },
  stalePullRequests: { per: 1, cap: 10, of: (inputs: HealthInputs) => inputs.stalePullRequests },
} as const;

/** Scores a project from its inputs with the current formula. */
export function healthScore(inputs: HealthInputs): HealthScore {
  const penalties = Object.fromEntries(
    Object.entries(PENALTIES).map(([name, rule]) => [name, Math.min(rule.cap, rule.per * rule.of(inputs))]),
  ) as Record<keyof typeof PENALTIES, number>;
  const total = Object.values(penalties).reduce((sum, points) => sum + points, 0);
  return { score: Math.round(Math.min(100, Math.max(0, 100 - total))), formulaVersion: HEALTH_FORMULA_VERSION, inputs, penalties };
}
