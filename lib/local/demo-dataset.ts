/**
 * The repositories of the built-in demo GitHub that `npm start` serves when no GITHUB_TOKEN is set, so
 * every dashboard figure (SLA breaches, unassigned critical bugs, revenue at risk, stale PRs, time to
 * merge) has something to show. Deterministic: a seeded PRNG, every time relative to `now`.
 */
import type { HookDelivery } from './github-hooks.ts';
import type { FakeIssue, FakeRepository, GitHubServer } from './github-server.ts';

export const DEMO_ORG = 'acme-demo';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Repository name and the parts of the product its titles talk about. */
const REPOSITORIES: readonly [string, readonly string[]][] = [
  ['checkout-api', ['Checkout', 'Coupon validation', 'Payment webhook', 'Refund endpoint', 'Tax calculation']],
  ['web-storefront', ['Product page', 'Cart drawer', 'Search results', 'Checkout form', 'Image carousel']],
  ['mobile-app', ['Login screen', 'Push notifications', 'Order history', 'Offline mode', 'Deep links']],
  ['data-pipeline', ['Nightly export', 'Revenue rollup job', 'Event ingestion', 'Schema migration', 'S3 partitioner']],
  ['auth-service', ['Token refresh', 'SSO callback', 'Password reset', 'MFA enrollment', 'Session cleanup']],
];

const USERS = [
  'alice-ng',
  'bkowalski',
  'carmen-dev',
  'dpatel',
  'emeka-o',
  'fjansen',
  'grace-h',
  'hiro-t',
  'ines-m',
  'jlarsen',
  'kwame-a',
  'lucia-r',
];

const FAILURES = [
  'fails with 500 when the upstream times out',
  'times out for large accounts',
  'returns stale data after a retry',
  'crashes on an empty payload',
  'ignores the user locale',
  'logs customer emails in error messages',
  'leaks memory after a day of uptime',
  'is twice as slow since the last release',
  'drops events during deploys',
];
const TITLES = {
  enhancement: ['Add metrics to {a}', 'Make {a} configurable per tenant', 'Add retries to {a}', 'Speed up {a}'],
  documentation: ['Document {a}', 'Add a runbook for {a}', 'Update the README section on {a}'],
  question: ['How do I test {a} locally?', 'Is {a} covered by the SLA?', 'Who owns {a}?'],
  pr: ['Fix {a} edge case on retries', 'Refactor {a}', 'Add tests for {a}', 'Improve logging in {a}', 'Bump dependencies of {a}'],
};

type Severity = 'critical' | 'high' | 'medium' | 'low';
const SLA_HOURS: Record<Severity, number> = { critical: 24, high: 72, medium: 168, low: 720 };
const SEVERITY_LABELS: Record<Severity, readonly string[]> = {
  critical: ['critical', 'P0', 'sev1', 'Critical'],
  high: ['high', 'P1', 'sev2', 'High'],
  medium: ['medium', 'P2', 'Medium'],
  low: ['low', 'P3', 'Low'],
};
const BUG_LABELS = ['bug', 'Bug', 'type: bug', 'kind/bug', 'defect'];
/** Daily revenue at risk, in dollars, that a bug of each severity may carry. */
const REVENUE_RANGE: Record<Severity, [number, number]> = {
  critical: [2000, 20000],
  high: [500, 5000],
  medium: [100, 1000],
  low: [20, 200],
};

/** A small fast seeded PRNG (mulberry32) returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO 8601 UTC to the second, as GitHub writes it. */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

type Draft = Omit<FakeIssue, 'number'>;

/** Builds one repository's items from a random stream, a clock and the areas its titles mention. */
function itemMaker(random: () => number, now: number, areas: readonly string[], neverFixed: number) {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const title = (templates: readonly string[]) => pick(templates).replace('{a}', pick(areas));
  const assignees = (chance: number) => (random() < chance ? (random() < 0.15 ? [pick(USERS), pick(USERS)] : [pick(USERS)]) : []);

  /** An item created at `created` and done `doneAfter` ms later, open if that is still in the future. */
  const item = (created: number, doneAfter: number, fields: Pick<Draft, 'title' | 'labels' | 'assignees' | 'user'>): Draft => {
    const done = created + doneAfter;
    const closed = done <= now;
    const updated = closed ? Math.min(now, done + random() * 2 * HOUR) : created + random() * (now - created);
    return {
      ...fields,
      state: closed ? 'closed' : 'open',
      created_at: iso(created),
      updated_at: iso(updated),
      closed_at: closed ? iso(done) : null,
    };
  };

  const bug = (created: number, severity: Severity, doneAfter: number, assignChance: number, revenueChance: number): Draft => {
    const labels = [pick(BUG_LABELS)];
    if (severity !== 'medium' || random() < 0.7) labels.push(pick(SEVERITY_LABELS[severity]));
    if (random() < revenueChance) {
      const [low, high] = REVENUE_RANGE[severity];
      const amount = Math.round((low + random() * (high - low)) / 10) * 10;
      labels.push(amount >= 1000 && random() < 0.5 ? `revenue:${+(amount / 1000).toFixed(1)}k` : `revenue:${amount}`);
    }
    return item(created, doneAfter, {
      title: `${pick(areas)} ${pick(FAILURES)}`,
      labels,
      assignees: assignees(assignChance),
      user: pick(USERS),
    });
  };

  const pullRequest = (created: number, doneAfter: number, merged: boolean): Draft => {
    const user = pick(USERS);
    const base = item(created, doneAfter, { title: title(TITLES.pr), labels: [], assignees: random() < 0.4 ? [user] : [], user });
    return { ...base, pull_request: { merged_at: merged ? base.closed_at : null }, draft: base.state === 'open' && random() < 0.2 };
  };

  const randomItem = (): Draft => {
    const created = now - random() * 120 * DAY;
    const kind = random();
    if (kind < 0.4) {
      const severity = pick<Severity>(['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low']);
      const doneAfter = random() < neverFixed ? Infinity : random() ** 2 * SLA_HOURS[severity] * 3 * HOUR;
      return bug(created, severity, doneAfter, 0.75, 0.2);
    }
    if (kind < 0.6) {
      const label = pick(['enhancement', 'enhancement', 'documentation', 'question'] as const);
      const doneAfter = random() < 0.5 ? Infinity : random() * 30 * DAY;
      return item(created, doneAfter, { title: title(TITLES[label]), labels: [label], assignees: assignees(0.5), user: pick(USERS) });
    }
    const outcome = random();
    const doneAfter = outcome < 0.03 ? Infinity : (0.1 + random() ** 2 * 6) * DAY;
    return pullRequest(created, doneAfter, outcome >= 0.25);
  };

  /** What every repository shows: an unassigned critical bug past its SLA, a stale PR, a PR merged this week. */
  const highlights = (): Draft[] => {
    const mergedCreated = now - (1 + random() * 5.5) * DAY;
    return [
      bug(now - (1.25 + random() * 4) * DAY, 'critical', Infinity, 0, 1),
      { ...pullRequest(now - (15 + random() * 30) * DAY, Infinity, false), draft: false },
      pullRequest(mergedCreated, 2 * HOUR + random() * 0.8 * (now - mergedCreated - 2 * HOUR), true),
    ];
  };

  return { randomItem, highlights };
}

/** Share of bugs never fixed, per repository: from a healthy team to one in trouble. */
const NEVER_FIXED = [0.02, 0.05, 0.1, 0.2, 0.3];

/** The demo organization's repositories, with 80 to 200 issues and pull requests each, as of `now`. */
export function demoRepositories(now: Date): FakeRepository[] {
  const clock = now.getTime();
  return REPOSITORIES.map(([name, areas], index) => {
    const random = mulberry32(0xc70 + index);
    // Teams differ: the share of bugs never fixed sets how healthy each repository looks.
    const make = itemMaker(random, clock, areas, NEVER_FIXED[index % NEVER_FIXED.length]!);
    const count = 80 + Math.floor(random() * 121);
    const drafts = [...make.highlights(), ...Array.from({ length: count - 3 }, make.randomItem)];
    const issues = drafts
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((draft, position): FakeIssue => ({ number: position + 1, ...draft }));
    return { fullName: `${DEMO_ORG}/${name}`, id: 101 + index, issues, archived: false, pushedAt: iso(clock - random() * 3 * DAY) };
  });
}

/**
 * A change the demo GitHub makes after the sync, so that a local run shows a webhook delivery reaching the hourly
 * figures without a daily run: a new unassigned critical bug on checkout-api, carrying revenue at risk, opened a
 * minute before `now`; the demo's organization webhook delivers it to the local endpoint, signed.
 */
export async function openDemoIncident(
  github: GitHubServer,
  now: Date,
): Promise<{ readonly repository: string; readonly number: number; readonly deliveries: HookDelivery[] }> {
  const repository = `${DEMO_ORG}/checkout-api`;
  const opened = iso(now.getTime() - 60_000);
  const { number, deliveries } = await github.openIssue(repository, {
    title: 'Checkout fails with 500 for every card payment',
    state: 'open',
    labels: ['bug', 'critical', 'revenue:12k'],
    assignees: [],
    user: 'grace-h',
    created_at: opened,
    updated_at: opened,
    closed_at: null,
  });
  return { repository, number, deliveries };
}
