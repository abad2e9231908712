/**
 * The hourly job's "Redeliver Failed Webhooks" step, through the synthesized state machine: a delivery the endpoint
 * missed is redelivered and applied before the figures are computed; a step that fails never fails the run.
 */
import { describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { addProjects, GITHUB_TOKEN } from '../support/daily.ts';
import { fakeIssue } from '../support/github-issues.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const SECRET = 'the webhook secret of the hourly redelivery tests';
const github = await GitHubServer.start({ token: GITHUB_TOKEN, repositories: [{ fullName: 'acme/api', id: 1, issues: [] }] });
const context = readCdkContext(PROJECT_ROOT);
const runtime = await startTestRuntime({
  context: { ...context, ctoJobs: { ...(context.ctoJobs as object), webhooks: { hooks: [{ repository: 'acme/api', id: 21 }] } } },
  github: { apiUrl: github.url, token: GITHUB_TOKEN },
  environment: { [WEBHOOK_ENV.secret]: SECRET },
});
const webhooks = runtime.webhooks!;

describe('the hourly job with webhooks.hooks configured', () => {
  it('redelivers a missed delivery before Compute Hourly Metrics, and completes when the step fails', async () => {
    await addProjects(runtime, 'acme/api');
    await runtime.runJob('daily', { at: new Date('2026-11-28T02:00:00Z'), retryIntervalMs: 0, waitMs: 0 });
    github.addHook({ id: 21, url: webhooks.url, secret: SECRET, target: { repository: 'acme/api' } });
    github.hooks.failNext(21);
    const { number: _, ...bug } = fakeIssue(0, '2026-11-28T09:10:00Z', {
      labels: ['bug', 'critical'],
      created_at: '2026-11-28T09:10:00Z',
    });
    const opened = await github.openIssue('acme/api', bug);
    const states: string[] = [];

    const result = await runtime.runJob('hourly', {
      at: new Date('2026-11-28T10:00:00Z'),
      retryIntervalMs: 0,
      onStateEvent: (line) => states.push(line),
    });
    await github.hooks.settled();
    await webhooks.queues.settled();

    expect(result.run).toMatchObject({ status: 'completed' });
    expect(result.run?.summary).toContain('1 redelivered now');
    expect(states.indexOf('→ Redeliver Failed Webhooks')).toBeLessThan(states.indexOf('→ Compute Hourly Metrics'));
    expect((await runtime.stores.items.listForProject('acme/api')).map((item) => item.number)).toContain(opened.number);

    github.injectFaults('/repos/acme/api/hooks/21/deliveries', { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const failingStates: string[] = [];
    const failing = await runtime.runJob('hourly', {
      at: new Date('2026-11-28T11:00:00Z'),
      retryIntervalMs: 0,
      onStateEvent: (line) => failingStates.push(line),
    });

    expect(failing.run).toMatchObject({ status: 'completed' });
    expect(failingStates).toEqual(
      expect.arrayContaining(['⚠ Redeliver Failed Webhooks failed, caught', '→ Compute Hourly Metrics', '→ Record Success']),
    );
    await runtime.close();
    await github.close();
  });
});
