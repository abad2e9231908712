/**
 * The demo path of `npm start` with webhooks configured: the demo GitHub's organization hook delivers, signed with the
 * runtime's own secret, to the local endpoint, so a bug it opens after the sync is stored without another sync.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openDemoIncident } from '../../../lib/local/demo-dataset.ts';
import { DEMO_HOOK_ID, readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const context = readCdkContext(PROJECT_ROOT);
const runtime = await startTestRuntime({ context: { ...context, ctoJobs: { ...(context.ctoJobs as object), webhooks: {} } } });
afterAll(() => runtime.close());
const demo = runtime.demoGitHub!;

describe('the demo GitHub with webhooks configured', () => {
  it('delivers the incident it opens after the sync to the local endpoint, which stores it with no other sync', async () => {
    for (const repository of demo.repositoryNames()) await runtime.stores.projects.save(newProject({ repository }, new Date()));
    const daily = await runtime.runJob('daily', { retryIntervalMs: 0, waitMs: 0 });
    expect(daily.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    const requestsAfterSync = demo.requests.length;

    const incident = await openDemoIncident(demo, new Date());
    await runtime.webhooks!.queues.settled();

    expect(incident.deliveries).toMatchObject([
      { hookId: DEMO_HOOK_ID, event: 'issues', action: 'opened', status: 'OK', statusCode: 202 },
    ]);
    const stored = (await runtime.stores.items.listForProject(incident.repository)).find((item) => item.number === incident.number);
    expect(stored).toMatchObject({ state: 'open', severity: 'critical', assignees: [] });
    expect(demo.requests.length).toBe(requestsAfterSync);
  });
});
