import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GitHubServer } from '../../lib/local/github-server.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { ENV } from '../../shared/environment.ts';
import { AwsStandIn } from '../support/aws-stand-in.ts';
import { addProjects, generateIssues, GITHUB_TOKEN, startDailyRuntime } from '../support/daily.ts';
import { namedError } from '../support/local-runtime.ts';

let slot = 0;
/** Each run gets its own schedule slot. */
const nextSlot = () => new Date(Date.parse('2026-11-28T02:00:00Z') + slot++ * 86_400_000);
const fast = { retryIntervalMs: 0, waitMs: 0 };
/** GitHub's answer to a revoked or expired token. */
const BAD_CREDENTIALS = { status: 401, body: JSON.stringify({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }) };
const NOT_FOUND = { status: 404, body: JSON.stringify({ message: 'Not Found' }) };

let github: GitHubServer;
let runtime: LocalRuntime;
/** Secrets Manager, where the functions read the token as deployed (no GITHUB_TOKEN variable). */
let aws: AwsStandIn;
let tokenSecret: string;
let emf: Record<string, unknown>[] = [];
beforeAll(async () => {
  aws = await AwsStandIn.start({});
  ({ github, runtime } = await startDailyRuntime(
    [
      { fullName: 'acme/big', id: 1, issues: generateIssues(450) },
      { fullName: 'acme/huge', id: 2, issues: generateIssues(1500) },
      { fullName: 'acme/web', id: 3, issues: generateIssues(30) },
      { fullName: 'acme/api', id: 4, issues: generateIssues(40) },
      { fullName: 'acme/ops', id: 5, issues: generateIssues(20) },
    ],
    { POWERTOOLS_METRICS_DISABLED: 'false', GITHUB_TOKEN: '', AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint },
  ));
  tokenSecret = process.env[ENV.githubTokenSecret]!;
});
afterAll(async () => {
  await runtime?.close();
  await github?.close();
  await aws?.close();
});
beforeEach(async () => {
  await runtime.reset();
  github.clearRequests();
  github.clearFaults();
  github.setToken(GITHUB_TOKEN);
  aws.putSecret(tokenSecret, GITHUB_TOKEN);
  aws.calls.length = 0;
  emf = [];
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return write(chunk, ...(rest as []));
    emf.push(JSON.parse(text) as Record<string, unknown>);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** The numbers GitHub holds for a repository, and those stored, each sorted. */
async function setsOf(fullName: string) {
  const stored = (await runtime.stores.items.listForProject(fullName)).map((item) => item.number).sort((a, b) => a - b);
  const held = github.repository(fullName).issues.map((issue) => issue.number).sort((a, b) => a - b);
  return { stored, held };
}

/**
 * Resolves once GitHub has had no request for a while. When the Map fails, Step Functions stops its other
 * iterations, but a Lambda invocation already under way runs to its end (here: its next request, refused).
 */
async function quiet(ms = 1000) {
  for (let seen = -1; seen !== github.requests.length; ) {
    seen = github.requests.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** The ProjectsFailed values of the EMF lines, and the dimensions they were published with. */
const projectsFailedMetrics = () =>
  emf
    .filter((line) => 'ProjectsFailed' in line)
    .map((line) => ({ value: line.ProjectsFailed, dimensions: (line._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions }));

describe('the daily sync when GitHub stops accepting the token mid-run', () => {
  it('fails the run with AuthError through Record Failure, keeps the pages synced before, and the next run completes exactly', async () => {
    await addProjects(runtime, 'acme/big');
    // The token dies after two pages: every later request is refused, as GitHub refuses a revoked token.
    github.injectFaults('/repos/', { ...BAD_CREDENTIALS, afterRequests: 2 }, ...Array.from({ length: 10 }, () => BAD_CREDENTIALS));
    const states: string[] = [];

    const failed = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(failed.execution).toMatchObject({ status: 'FAILED', error: 'AuthError' });
    expect(failed.run).toMatchObject({ status: 'failed', errorName: 'AuthError', errorMessage: 'GitHub refused the token (401) for acme/big' });
    expect(states).toEqual(expect.arrayContaining(['→ Token Refused', '→ Record Failure', '→ Run Failed']));
    expect(states).not.toContain('→ Record Project Failure');
    expect(states).not.toContain('→ Summarize Sync');
    // The two pages answered before the token died stay: 100 items, then the window from the newest (1 repeated).
    expect((await setsOf('acme/big')).stored).toEqual(Array.from({ length: 199 }, (_, i) => i + 1));
    const project = await runtime.stores.projects.get('acme/big');
    expect(project?.sync.cursor).toBe(github.repository('acme/big').issues[198]!.updated_at);
    // No project is blamed for the token: no failure streak, no project error in SyncEvents.
    expect(project?.failure).toBeUndefined();
    expect((await runtime.stores.events.listForRun(failed.run!.runId)).filter((event) => event.eventType === 'github_sync')).toEqual([]);

    github.clearFaults();
    github.clearRequests();
    const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(next.run).toMatchObject({ status: 'completed', recordsProcessed: 251, recordsFailed: 0 });
    const { stored, held } = await setsOf('acme/big');
    expect(stored).toEqual(held);
    // Resumed from the saved cursor (items 199-450: 3 requests), not from the start (5).
    expect(github.requests.filter((request) => request.path.startsWith('/repos/acme/big/issues'))).toHaveLength(3);
  });

  it('stops every project when the token is revoked while several sync, and the next run with a good token completes each exactly', async () => {
    await addProjects(runtime, 'acme/huge', 'acme/web', 'acme/api', 'acme/ops');
    let revoked = false;
    const states: string[] = [];

    const failed = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      onStateEvent: (line) => states.push(line),
      // The token is revoked as soon as the first project is synced; the 1,500-item one is still paging.
      beforeTask: (state) => {
        if (state === 'Compute Project Metrics' && !revoked) {
          revoked = true;
          github.setToken('rotated-elsewhere');
        }
      },
    });
    await quiet();

    expect(failed.run).toMatchObject({ status: 'failed', errorName: 'AuthError' });
    expect(states).not.toContain('→ Record Project Failure');
    const projects = await Promise.all(['acme/huge', 'acme/web', 'acme/api', 'acme/ops'].map((id) => runtime.stores.projects.get(id)));
    expect(projects.map((project) => project?.failure)).toEqual([undefined, undefined, undefined, undefined]);
    const before = await Promise.all(['acme/huge', 'acme/web', 'acme/api', 'acme/ops'].map(setsOf));
    for (const { stored, held } of before) expect(held).toEqual(expect.arrayContaining(stored));
    const keptBefore = before.reduce((sum, { stored }) => sum + stored.length, 0);
    expect(keptBefore).toBeGreaterThan(0);
    expect(before[0]!.stored.length).toBeLessThan(1500);

    github.setToken(GITHUB_TOKEN);
    const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(next.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(next.run?.summary).toContain('sync: 4 of 4 project(s) synced;');
    const after = await Promise.all(['acme/huge', 'acme/web', 'acme/api', 'acme/ops'].map(setsOf));
    for (const { stored, held } of after) expect(stored).toEqual(held);
    // Nothing kept was written again and nothing was lost: the second run wrote exactly what was missing.
    expect(next.run?.recordsProcessed).toBe(1500 + 30 + 40 + 20 - keptBefore);
  }, 60_000);
});

/** How often the functions read the token secret. */
const secretReads = () => aws.calls.filter((call) => call.service === 'secretsmanager' && call.action === 'GetSecretValue').length;

describe('the daily sync when the token in Secrets Manager changes', () => {
  it('completes when the token is rotated mid-run: requests refused with the old token are sent again with the new one', async () => {
    await addProjects(runtime, 'acme/huge', 'acme/web', 'acme/api', 'acme/ops');
    let rotated = false;

    const result = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      // Rotated as soon as the first project is synced (GitHub App installation tokens last an hour): the
      // 1,500-item project is still paging with the old token, which GitHub now refuses.
      beforeTask: (state) => {
        if (state === 'Compute Project Metrics' && !rotated) {
          rotated = true;
          github.setToken('ghs_rotated');
          aws.putSecret(tokenSecret, 'ghs_rotated');
        }
      },
    });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 1500 + 30 + 40 + 20, recordsFailed: 0 });
    for (const { stored, held } of await Promise.all(['acme/huge', 'acme/web', 'acme/api', 'acme/ops'].map(setsOf))) expect(stored).toEqual(held);
    expect(github.requests.some((request) => request.status === 401)).toBe(true);
    expect(secretReads()).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('fails with AuthError while the secret holds the refused token, and the next run in the same warm process uses the one an operator puts in', async () => {
    await addProjects(runtime, 'acme/web');
    // A warm container: yesterday's run read the token from the secret.
    expect((await runtime.runJob('daily', { ...fast, at: nextSlot() })).run).toMatchObject({ status: 'completed' });
    // Then GitHub revoked the token; the secret still holds it.
    github.setToken('ghp_replacement');
    github.clearRequests();
    aws.calls.length = 0;
    const states: string[] = [];

    const failed = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(failed.run).toMatchObject({ status: 'failed', errorName: 'AuthError', errorMessage: expect.stringContaining('GitHub refused the token') });
    expect(states).not.toContain('→ Sync Project');
    // Refused, the secret was read again: it holds the same token, so nothing is sent again.
    expect(github.requests.map((request) => `${request.path} ${request.status}`)).toEqual(['/rate_limit 401']);
    expect(secretReads()).toBe(1);

    aws.putSecret(tokenSecret, 'ghp_replacement');
    github.clearRequests();
    const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(next.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    // Well within the cache's five minutes: the first refusal made the warm container read the new token.
    expect(github.requests.filter((request) => request.status === 401).map((request) => request.path)).toEqual(['/rate_limit']);
    expect(secretReads()).toBe(2);
  });
});

describe('a daily run whose projects fail', () => {
  it('fails when every project failed, naming them, and starts each one\'s failure streak', async () => {
    await addProjects(runtime, 'acme/gone', 'acme/missing');
    const states: string[] = [];

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(result.execution).toMatchObject({ status: 'FAILED', error: 'SyncFailedError' });
    expect(result.run).toMatchObject({
      status: 'failed',
      errorName: 'SyncFailedError',
      errorMessage: "0 of 2 project(s) synced, 2 failed (acme/gone, acme/missing); each project's error is in SyncEvents",
    });
    expect(states).toEqual(expect.arrayContaining(['→ Record Project Failure', '→ Summarize Sync', '→ Record Failure', '→ Run Failed']));
    expect(await runtime.stores.projects.get('acme/gone')).toMatchObject({
      failure: {
        since: result.request.scheduledTime,
        consecutiveRuns: 1,
        lastError: 'RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)',
        lastRunId: result.run!.runId,
      },
    });
    expect(projectsFailedMetrics()).toEqual([{ value: 2, dimensions: [['service']] }]);
  });

  it('completes when some projects failed, naming and counting them, and a failing project\'s streak grows until it syncs again', async () => {
    await addProjects(runtime, 'acme/web', 'acme/api');
    github.injectFaults('/repos/acme/api/issues', NOT_FOUND);

    const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(first.run).toMatchObject({ status: 'completed', recordsProcessed: 30, recordsFailed: 1 });
    expect(first.run?.summary).toContain('sync: 1 of 2 project(s) synced, 1 failed (acme/api);');
    expect(projectsFailedMetrics()).toEqual([{ value: 1, dimensions: [['service']] }]);
    expect((await runtime.stores.projects.get('acme/api'))?.failure).toMatchObject({ since: first.request.scheduledTime, consecutiveRuns: 1 });

    // The next day it fails again, and Record Project Failure's Lambda dies after its write once: the retry counts the run once.
    github.injectFaults('/repos/acme/api/issues', NOT_FOUND);
    let died = false;
    const second = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      afterTask: (state) => {
        if (state === 'Record Project Failure' && !died) {
          died = true;
          throw namedError('Lambda.ServiceException');
        }
      },
    });

    expect(died).toBe(true);
    expect(second.run).toMatchObject({ status: 'completed', recordsFailed: 1 });
    expect((await runtime.stores.projects.get('acme/api'))?.failure).toMatchObject({ since: first.request.scheduledTime, consecutiveRuns: 2, lastRunId: second.run!.runId });
    const errors = (await runtime.stores.events.listForRun(second.run!.runId)).filter((event) => event.level === 'error' && event.project === 'acme/api');
    expect(errors[0]?.message).toContain(`(failed 2 runs in a row, since ${first.request.scheduledTime})`);
    // The project's sync progress beside the streak is untouched.
    expect((await runtime.stores.projects.get('acme/web'))?.sync.lastSyncedAt).toBeDefined();

    const third = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(third.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(third.run?.summary).toContain('sync: 2 of 2 project(s) synced;');
    expect((await runtime.stores.projects.get('acme/api'))?.failure).toBeUndefined();
    expect((await setsOf('acme/api')).stored).toHaveLength(40);
  });
});
