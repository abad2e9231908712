import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { parseConfig, rateBudgetSettingsOf } from '../../../shared/config.ts';
import type { GitHubClient } from '../../../shared/github/client.ts';
import { ChunkBudget, pacingIntervalMs, RateBudgets, readRateLimit } from '../../../shared/github/rate-budget.ts';

/**
 * Virtual time for actors that only ever wait through `sleep`: time moves to the next wake-up once every
 * running actor is asleep, so what happens at an instant is measured in virtual milliseconds.
 */
class VirtualTime {
  now = 0;
  private running = 0;
  private readonly wakeUps: { at: number; wake: () => void }[] = [];

  readonly clock = () => this.now;
  readonly sleep = (ms: number) =>
    new Promise<void>((wake) => {
      this.wakeUps.push({ at: this.now + ms, wake });
      this.running--;
    });

  /** Runs `actors` to their end, each started at time 0. */
  async run(actors: readonly (() => Promise<void>)[]): Promise<void> {
    this.running = actors.length;
    const ended = Promise.all(actors.map((actor) => actor().finally(() => this.running--)));
    for (;;) {
      while (this.running > 0) await new Promise((resolve) => setImmediate(resolve));
      this.wakeUps.sort((a, b) => a.at - b.at);
      const next = this.wakeUps.shift();
      if (!next) break;
      this.now = next.at;
      this.running++;
      next.wake();
    }
    await ended;
  }
}

/** A deterministic pseudo-random sequence in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('pacingIntervalMs', () => {
  it('gives 100 syncs at once 7.5 s between requests under 900 points a minute, and refuses as many syncs as points', () => {
    expect(pacingIntervalMs(900, 100)).toBe(7500);
    expect(pacingIntervalMs(900, 5)).toBe(336);
    expect(() => pacingIntervalMs(900, 900)).toThrow('900 concurrent syncs cannot share 900 points a minute');
  });

  it('keeps 100 syncs at once (each chunk a new container) under 900 requests in any 60 s window and 100 in flight', async () => {
    const syncs = 100;
    const interval = pacingIntervalMs(900, syncs);
    const time = new VirtualTime();
    const random = seeded(14);
    const sentAt: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    // GitHub answering in 0 to 300 virtual ms, with the budget's headers.
    const github = new Octokit({
      request: {
        fetch: async (url: string) => {
          sentAt.push(time.now);
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          await time.sleep(Math.floor(random() * 300));
          inFlight--;
          const reset = String(Math.floor(time.now / 1000) + 3600);
          const status = url.endsWith('/rate_limit') || random() < 0.5 ? 200 : 304;
          return new Response(status === 304 ? null : '{}', {
            status,
            headers: {
              'x-ratelimit-limit': '12500',
              'x-ratelimit-remaining': '12000',
              'x-ratelimit-used': '500',
              'x-ratelimit-reset': reset,
            },
          });
        },
      },
    }) as unknown as GitHubClient;
    const settings = { reservePercent: 10, pacingIntervalMs: interval };
    const tenMinutes = 600_000;
    // Each Map slot runs chunk after chunk, each in a new container: one to four requests, nothing carried over.
    const slot = async () => {
      while (time.now < tenMinutes) {
        const chunk = new ChunkBudget(github, new RateBudgets(settings).for(), time);
        const requests = 1 + Math.floor(random() * 4);
        for (let sent = 0; sent < requests; sent++) {
          await chunk.admit();
          await github
            .request('GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'web', ...chunk.requestOptions })
            .catch(() => {});
        }
        await chunk.release();
      }
    };

    await time.run(Array.from({ length: syncs }, () => slot));

    const busiestMinute = Math.max(...sentAt.map((start) => sentAt.filter((at) => at >= start && at < start + 60_000).length));
    expect(busiestMinute).toBeLessThanOrEqual(900);
    // Not paced slower than it must: most of the budget a minute is used.
    expect(busiestMinute).toBeGreaterThanOrEqual(800);
    expect(mostInFlight).toBeLessThanOrEqual(100);
  });
});

describe('RateBudget', () => {
  it("reads GitHub's x-ratelimit headers, and none from an answer without them", () => {
    const headers: Record<string, string> = {
      'x-ratelimit-limit': '12500',
      'x-ratelimit-remaining': '8290',
      'x-ratelimit-used': '4210',
      'x-ratelimit-reset': '1796120400',
    };

    expect(readRateLimit((name) => headers[name])).toEqual({ limit: 12500, remaining: 8290, used: 4210, resetAtMs: 1_796_120_400_000 });
    expect(readRateLimit(() => null)).toBeUndefined();
  });

  it('keeps the later window, and within one the lowest remaining, whatever order answers arrive in', () => {
    const budget = new RateBudgets({ reservePercent: 10, pacingIntervalMs: 0 }).for('installation:7');
    budget.observe({ limit: 5000, remaining: 40, used: 4960, resetAtMs: 1000 });
    budget.observe({ limit: 5000, remaining: 4990, used: 10, resetAtMs: 5000 });
    budget.observe({ limit: 5000, remaining: 4995, used: 5, resetAtMs: 5000 });

    expect(budget.current(4999)).toMatchObject({ remaining: 4990, resetAtMs: 5000 });
    expect(budget.current(5000)).toBeUndefined();
  });

  it('admits a request above the reserve (rounded up) and stops at it until a second after the reset', () => {
    const budget = new RateBudgets({ reservePercent: 10, pacingIntervalMs: 0 }).for();
    const at = (remaining: number) => budget.admit({ limit: 12_345, remaining, used: 0, resetAtMs: 60_000 });

    expect(budget.key).toBe('token');
    expect(at(1236)).toEqual({ send: true });
    expect(at(1235)).toEqual({ send: false, resumeAtMs: 61_000 });
  });

  it('takes its settings from the configuration, which refuses as many syncs at once as points a minute', () => {
    const now = new Date('2026-12-01T00:00:00Z');

    expect(rateBudgetSettingsOf(parseConfig({}, now))).toEqual({ reservePercent: 10, pacingIntervalMs: 336 });
    expect(rateBudgetSettingsOf(parseConfig({ github: { rateLimitReserve: 0, pacing: { concurrentSyncs: 100 } } }, now))).toEqual({
      reservePercent: 0,
      pacingIntervalMs: 7500,
    });
    expect(() => parseConfig({ github: { pacing: { pointsPerMinute: 50, concurrentSyncs: 50 } } }, now)).toThrow(
      'ctoJobs.github.pacing.concurrentSyncs: 50 must be under github.pacing.pointsPerMinute (50)',
    );
  });
});
