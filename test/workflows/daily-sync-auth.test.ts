import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../shared/environment.ts';
import { AwsStandIn } from '../support/aws-stand-in.ts';
import { addProjects, fast, GITHUB_TOKEN, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';
import { captureEmf } from '../support/emf.ts';
import { namedError } from '../support/local-runtime.ts';

/** GitHub's answer to a revoked or expired token. */
const BAD_CREDENTIALS = {
  status: 401,
  body: JSON.stringify({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }),
};
const NOT_FOUND = { status: 404, body: JSON.stringify({ message: 'Not Found' }) };

/** Secrets Manager, where the functions read the token as deployed (no GITHUB_TOKEN variable). */
const aws = await AwsStandIn.start({});
afterAll(() => aws.close());
const { github, runtime, setsOf } = await useDailyRuntime(
  [
    { fullName: 'acme/big', id: 1, issues: generateIssues(450) },
    { fullName: 'acme/huge', id: 2, issues: generateIssues(1500) },
    { fullName: 'acme/web', id: 3, issues: generateIssues(30) },
    { fullName: 'acme/api', id: 4, issues: generateIssues(40) },
    { fullName: 'acme/ops', id: 5, issues: generateIssues(20) },
  ],
  { POWERTOOLS_METRICS_DISABLED: 'false', GITHUB_TOKEN: '', AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint },
);
const tokenSecret = process.env[ENV.githubTokenSecret]!;
const emf = captureEmf();
beforeEach(() => {
  aws.putSecret(tokenSecret, GITHUB_TOKEN);
  aws.calls.length = 0;
});

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

/**
 * Runs the daily job and applies `change` once, as soon as the first project is synced: the 1,500-item
 * project is still paging then.
 */
function runChangingMidRun(change: () => void, states: string[] = []) {
  let changed = false;
  return runtime.runJob('daily', {
    ...fast,
    at: nextSlot(),
    onStateEvent: (line) => states.push(line),
    beforeTask: (state) => {
      if (state !== 'Compute Project Metrics' || changed) return;
      changed = true;
      change();
    },
  });
}

/** The ProjectsFailed values of the EMF lines, and the dimensions they were published with. */
const projectsFailedMetrics = () =>
  emf.lines
    .filter((line) => 'ProjectsFailed' in line)
    .map((line) => ({ value: line.ProjectsFailed, dimensions: line._aws.CloudWatchMetrics[0]!.Dimensions }));

describe('the daily sync when GitHub stops accepting the token mid-run', () => {
  it('fails the run with AuthError (its child fails, the reconciler names the token), keeps the pages synced before; the next run completes exactly', async () => {
    await addProjects(runtime, 'acme/big');
    // The token dies after two pages: every later request is refused, as GitHub refuses a revoked token.
    github.injectFaults('/repos/', { ...BAD_CREDENTIALS, afterRequests: 2 }, ...Array.from({ length: 10 }, () => BAD_CREDENTIALS));
    const states: string[] = [];

    const failed = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    // The child failed at Token Unusable, the Map Run with it (uncaught, so a redrive could rerun it once the token is
    // fixed); the reconciler closed the run with the error the project recorded.
    expect(failed.execution).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(failed.run).toMatchObject({
      status: 'failed',
      errorName: 'AuthError',
      errorMessage: 'GitHub refused the token (401) for acme/big',
    });
    expect(states).toContain('→ Token Unusable');
    expect(states).not.toContain('→ Record Failure');
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

  it('stops all projects when the token is revoked while several sync; the next run with a good token completes each', async () => {
    await addProjects(runtime, 'acme/huge', 'acme/web', 'acme/api', 'acme/ops');
    const states: string[] = [];

    const failed = await runChangingMidRun(() => github.setToken('rotated-elsewhere'), states);
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

    // GitHub App installation tokens last an hour: the old one is refused while a project is still paging.
    const result = await runChangingMidRun(() => {
      github.setToken('ghs_rotated');
      aws.putSecret(tokenSecret, 'ghs_rotated');
    });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 1500 + 30 + 40 + 20, recordsFailed: 0 });
    for (const { stored, held } of await Promise.all(['acme/huge', 'acme/web', 'acme/api', 'acme/ops'].map(setsOf)))
      expect(stored).toEqual(held);
    expect(github.requests.some((request) => request.status === 401)).toBe(true);
    expect(secretReads()).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('fails with AuthError while the secret holds the refused token; the next warm run uses the one an operator puts in', async () => {
    await addProjects(runtime, 'acme/web');
    // A warm container: yesterday's run read the token from the secret.
    expect((await runtime.runJob('daily', { ...fast, at: nextSlot() })).run).toMatchObject({ status: 'completed' });
    // Then GitHub revoked the token; the secret still holds it.
    github.setToken('ghp_replacement');
    github.clearRequests();
    aws.calls.length = 0;
    const states: string[] = [];

    const failed = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(failed.run).toMatchObject({
      status: 'failed',
      errorName: 'AuthError',
      errorMessage: expect.stringContaining('GitHub refused the token'),
    });
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

  it('fails with ConfigError, blaming no project, when the token is refused mid-run and its secret can no longer be read', async () => {
    await addProjects(runtime, 'acme/huge', 'acme/web');
    const states: string[] = [];

    const failed = await runChangingMidRun(() => {
      github.setToken('ghs_unknown');
      aws.deleteSecret(tokenSecret);
    }, states);

    expect(failed.run).toMatchObject({
      status: 'failed',
      errorName: 'ConfigError',
      errorMessage: expect.stringContaining(`secret ${tokenSecret} (the token) could not be read`),
    });
    expect(failed.run?.errorMessage).not.toContain(GITHUB_TOKEN);
    expect(states).toContain('→ Token Unusable');
    expect(states).not.toContain('→ Record Project Failure');
    expect((await runtime.stores.projects.get('acme/huge'))?.failure).toBeUndefined();
    await quiet();
  }, 60_000);
});

describe('a daily run whose projects fail', () => {
  it("fails when every project failed, naming them, and starts each one's failure streak", async () => {
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

  it("completes, naming and counting failed projects; a failing project's streak grows, progress intact, until it syncs", async () => {
    await addProjects(runtime, 'acme/web', 'acme/big');
    expect((await runtime.runJob('daily', { ...fast, at: nextSlot() })).run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    // Synced once: its cursor moved past the first pages, and the last answer's ETag is kept.
    const progress = (await runtime.stores.projects.get('acme/big'))?.sync;
    expect(progress).toMatchObject({ cursor: expect.any(String), etag: expect.any(String) });
    github.injectFaults('/repos/acme/big/issues', NOT_FOUND);

    const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(first.run).toMatchObject({ status: 'completed', recordsProcessed: 0, recordsFailed: 1 });
    expect(first.run?.summary).toContain('sync: 1 of 2 project(s) synced, 1 failed (acme/big);');
    // Published only for a run with a failed project: the first, clean run sent none.
    expect(projectsFailedMetrics()).toEqual([{ value: 1, dimensions: [['service']] }]);
    expect((await runtime.stores.projects.get('acme/big'))?.failure).toMatchObject({
      since: first.request.scheduledTime,
      consecutiveRuns: 1,
    });

    // The next day it fails again, and Record Project Failure's Lambda dies after its write once: the retry counts the run once.
    github.injectFaults('/repos/acme/big/issues', NOT_FOUND);
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
    const failing = await runtime.stores.projects.get('acme/big');
    expect(failing?.failure).toMatchObject({ since: first.request.scheduledTime, consecutiveRuns: 2, lastRunId: second.run!.runId });
    expect(failing?.sync).toEqual(progress);
    const errors = (await runtime.stores.events.listForRun(second.run!.runId)).filter(
      (event) => event.level === 'error' && event.project === 'acme/big',
    );
    expect(errors[0]?.message).toContain(`(failed 2 runs in a row, since ${first.request.scheduledTime})`);
    github.clearRequests();

    const third = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(third.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(third.run?.summary).toContain('sync: 2 of 2 project(s) synced;');
    expect((await runtime.stores.projects.get('acme/big'))?.failure).toBeUndefined();
    // It resumed from the progress kept beside the streak: unchanged, its ETag answered 304.
    expect(
      github.requests.filter((request) => request.path.startsWith('/repos/acme/big/issues')).map((request) => request.status),
    ).toEqual([304]);
    const { stored, held } = await setsOf('acme/big');
    expect(stored).toEqual(held);
  });

  it("keeps a failing project's streak when a rate limit defers its sync to the next run, and ends it once the sync is done", async () => {
    await addProjects(runtime, 'acme/web');
    const streak = {
      since: '2026-11-20T02:00:00Z',
      consecutiveRuns: 2,
      lastError: 'TransientError: GitHub answered 502',
      lastRunId: 'daily_sync#2026-11-21T02:00:00Z',
    };
    expect(await runtime.stores.projects.saveFailure('acme/web', streak, undefined)).toBe(true);
    // Spent until long after this run's deadline: the sync is deferred, nothing of the project synced.
    github.setRateLimit(0, Math.floor(Date.now() / 1000) + 3600);
    const states: string[] = [];

    const deferred = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(deferred.run).toMatchObject({ status: 'completed', recordsProcessed: 0, recordsFailed: 0 });
    expect(states).toContain('→ Compute Project Metrics');
    expect((await runtime.stores.projects.get('acme/web'))?.failure).toEqual(streak);

    github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
    const done = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(done.run).toMatchObject({ status: 'completed', recordsProcessed: 30, recordsFailed: 0 });
    expect((await runtime.stores.projects.get('acme/web'))?.failure).toBeUndefined();
  });
});
