import { describe, expect, it } from 'vitest';
import type { WebhookHook } from '../../../shared/config.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { type ConfirmableProjects, hookConfirmations } from '../../../shared/webhooks/hook-confirmations.ts';
import {
  CLAIM_LEASE_MS,
  type HookDeliveriesApi,
  type ListedDelivery,
  type RedeliveryRequests,
  redeliverFailed,
} from '../../../shared/webhooks/redeliver-failed.ts';

const HOOK: WebhookHook = { repository: 'acme/api', id: 1 };
const now = new Date('2026-11-28T10:00:00Z');
const failedAttempt = (id: number, guid: string): ListedDelivery => ({ id, guid, delivered_at: '2026-11-28T09:00:00Z', status_code: 503 });
const successfulAttempt = (id: number, guid: string): ListedDelivery => ({ ...failedAttempt(id, guid), status_code: 202 });

/** GitHub's answer to a redelivery request, by attempt id: 202 unless an HTTP status is given (or a network error). */
function api(answers: Readonly<Record<number, number | 'network'>>): HookDeliveriesApi & { readonly asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    async *pages() {
      yield [failedAttempt(3, 'c'), failedAttempt(2, 'b'), failedAttempt(1, 'a')];
    },
    async redeliver(_hook, deliveryId) {
      asked.push(deliveryId);
      const answer = answers[deliveryId];
      if (answer === 'network') throw new TypeError('fetch failed');
      if (answer !== undefined) throw Object.assign(new Error(`HTTP ${answer}`), { status: answer });
    },
  };
}

/** The markers in memory, as the store keeps them (a claim older than the lease may be claimed again). */
function markers(): RedeliveryRequests & { readonly states: Map<string, string> } {
  const states = new Map<string, string>();
  const claimedAt = new Map<string, number>();
  return {
    states,
    claim: async (guid, at) => {
      const stale = states.get(guid) === 'claimed' && claimedAt.get(guid)! < at.getTime() - CLAIM_LEASE_MS;
      if (states.has(guid) && !stale) return false;
      states.set(guid, 'claimed');
      claimedAt.set(guid, at.getTime());
      return true;
    },
    recordRequested: async (guid) => void states.set(guid, 'requested'),
    recordRefused: async (guid) => void states.set(guid, 'refused'),
    release: async (guid) => void states.delete(guid),
  };
}

describe('redeliverFailed', () => {
  it('asks for each failed delivery on its own: a refusal is kept, a passing failure is asked again next run', async () => {
    const requests = markers();
    const github = api({ 1: 422, 2: 502 });

    const first = await redeliverFailed({ api: github, requests }, [HOOK], now);
    const second = await redeliverFailed({ api: api({}), requests }, [HOOK], new Date(now.getTime() + 3_600_000));

    expect(first).toMatchObject({ failed: 3, requested: 1, retryLater: 1, refused: [{ guid: 'a', deliveryId: 1, status: 422 }] });
    expect(github.asked).toEqual([3, 2, 1]);
    expect(second).toMatchObject({ failed: 3, requested: 1, alreadyRequested: 2, retryLater: 0, refused: [] });
    expect(Object.fromEntries(requests.states)).toEqual({ a: 'refused', b: 'requested', c: 'requested' });
  });

  it('leaves a request that never reached GitHub (a network error) for the next run', async () => {
    const requests = markers();

    const outcome = await redeliverFailed({ api: api({ 3: 'network' }), requests }, [HOOK], now);

    expect(outcome).toMatchObject({ requested: 2, retryLater: 1, refused: [] });
    expect(requests.states.has('c')).toBe(false);
  });
});

/** Each hook's deliveries (by hook id, `app` for the app's), one page; a redelivery request is answered 202. */
function listings(byHook: Readonly<Record<string, readonly ListedDelivery[]>>): HookDeliveriesApi {
  return {
    async *pages(hook) {
      yield byHook['app' in hook ? 'app' : String(hook.id)] ?? [];
    },
    async redeliver() {},
  };
}

/** Active projects in memory, with each confirmation written, as ProjectsStore keeps them (never moved back). */
function projects(...fullNames: string[]): ConfirmableProjects & { readonly confirmedAt: Map<string, string>; lists: number } {
  const confirmedAt = new Map<string, string>();
  const store = {
    confirmedAt,
    lists: 0,
    listActive: async () => {
      store.lists++;
      return fullNames.map((repository) => newProject({ repository }, new Date('2026-11-01T00:00:00Z')));
    },
    recordWebhookConfirmation: async (projectId: string, at: string) => {
      if ((confirmedAt.get(projectId) ?? '') >= at) return false;
      confirmedAt.set(projectId, at);
      return true;
    },
  };
  return store;
}

describe('redeliverFailed confirming the projects of a hook with nothing outstanding', () => {
  it("confirms a repository hook's project as of the run when every event has a successful attempt", async () => {
    const store = projects('acme/api', 'acme/web');
    // Event a failed once, then its redelivery succeeded: nothing is outstanding.
    const api = listings({ 1: [successfulAttempt(3, 'b'), successfulAttempt(2, 'a'), failedAttempt(1, 'a')] });

    const outcome = await redeliverFailed({ api, requests: markers(), confirmations: hookConfirmations(store) }, [HOOK], now);

    expect(outcome).toMatchObject({ failed: 0, requested: 0, confirmed: 1 });
    expect(Object.fromEntries(store.confirmedAt)).toEqual({ 'acme/api': now.toISOString() });
  });

  it('confirms the project of a quiet repository, whose hook delivered nothing in the window', async () => {
    const store = projects('acme/api');

    const outcome = await redeliverFailed(
      { api: listings({}), requests: markers(), confirmations: hookConfirmations(store) },
      [HOOK],
      now,
    );

    expect(outcome).toMatchObject({ listed: 0, confirmed: 1 });
    expect(store.confirmedAt.get('acme/api')).toBe(now.toISOString());
  });

  it('confirms none of the projects of a hook with a failed event outstanding, asked for in this run or an earlier one', async () => {
    const store = projects('acme/api');
    const requests = markers();
    const api = listings({ 1: [successfulAttempt(2, 'b'), failedAttempt(1, 'a')] });
    const later = new Date(now.getTime() + 3_600_000);

    const first = await redeliverFailed({ api, requests, confirmations: hookConfirmations(store) }, [HOOK], now);
    const second = await redeliverFailed({ api, requests, confirmations: hookConfirmations(store) }, [HOOK], later);

    expect(first).toMatchObject({ failed: 1, requested: 1, confirmed: 0 });
    expect(second).toMatchObject({ failed: 1, alreadyRequested: 1, confirmed: 0 });
    expect(store.confirmedAt.size).toBe(0);
  });

  it("confirms with an organization's hook only the projects that organization owns, and with the app's every one", async () => {
    const orgStore = projects('acme/api', 'Acme/Web', 'other/api', 'acme-labs/tool');
    const appStore = projects('acme/api', 'other/api');
    const orgHook: WebhookHook = { org: 'ACME', id: 2 };

    await redeliverFailed({ api: listings({}), requests: markers(), confirmations: hookConfirmations(orgStore) }, [orgHook], now);
    const app = await redeliverFailed(
      { api: listings({}), requests: markers(), confirmations: hookConfirmations(appStore) },
      [{ app: true }],
      now,
    );

    expect([...orgStore.confirmedAt.keys()].sort()).toEqual(['acme/api', 'acme/web']);
    expect(app.confirmed).toBe(2);
    expect([...appStore.confirmedAt.keys()].sort()).toEqual(['acme/api', 'other/api']);
  });

  it('confirms the projects of each healthy hook, not those of one with a failure, listing the projects once', async () => {
    const store = projects('acme/api', 'acme/web', 'other/api');
    const api = listings({ 1: [successfulAttempt(1, 'a')], 2: [failedAttempt(2, 'b')], 3: [] });
    const hooks: WebhookHook[] = [HOOK, { repository: 'acme/web', id: 2 }, { org: 'acme', id: 3 }];

    const outcome = await redeliverFailed({ api, requests: markers(), confirmations: hookConfirmations(store) }, hooks, now);

    // acme/api by its repository's hook, then acme/web by the organization's, once each; other/api by none.
    expect(outcome).toMatchObject({ failed: 1, requested: 1, confirmed: 2 });
    expect([...store.confirmedAt.keys()].sort()).toEqual(['acme/api', 'acme/web']);
    expect(store.lists).toBe(1);
  });

  it("holds back only the project of a failed event's repository, and every project whose id is not recorded", async () => {
    const added = new Date('2026-11-01T00:00:00Z');
    const known = (repository: string, repositoryId: number) => ({ ...newProject({ repository }, added), repositoryId });
    const listed = [known('acme/api', 1), known('acme/web', 2), newProject({ repository: 'acme/new' }, added)];
    const store = { ...projects(), listActive: async () => listed };
    const lostForWeb = { ...failedAttempt(2, 'b'), repository_id: 2 };
    const api = listings({ 3: [{ ...successfulAttempt(1, 'a'), repository_id: 1 }, lostForWeb] });

    const outcome = await redeliverFailed(
      { api, requests: markers(), confirmations: hookConfirmations(store) },
      [{ org: 'acme', id: 3 }],
      now,
    );
    const noRepository = await redeliverFailed(
      {
        api: listings({ 3: [{ ...failedAttempt(4, 'd'), repository_id: null }] }),
        requests: markers(),
        confirmations: hookConfirmations(store),
      },
      [{ org: 'acme', id: 3 }],
      new Date(now.getTime() + 3_600_000),
    );

    expect(outcome).toMatchObject({ failed: 1, confirmed: 1 });
    expect(Object.fromEntries(store.confirmedAt)).toEqual({ 'acme/api': now.toISOString() });
    expect(noRepository).toMatchObject({ failed: 1, confirmed: 0 });
  });

  it("keeps a hook's confirmation when a later hook's listing fails, and throws what the listing threw", async () => {
    const store = projects('acme/api', 'acme/web');
    const api: HookDeliveriesApi = {
      async *pages(hook) {
        if ('repository' in hook && hook.repository === 'acme/web') throw Object.assign(new Error('HTTP 500'), { status: 500 });
        yield [];
      },
      async redeliver() {},
    };
    const hooks: WebhookHook[] = [HOOK, { repository: 'acme/web', id: 2 }];

    await expect(redeliverFailed({ api, requests: markers(), confirmations: hookConfirmations(store) }, hooks, now)).rejects.toMatchObject(
      {
        status: 500,
      },
    );
    expect([...store.confirmedAt.keys()]).toEqual(['acme/api']);
  });
});
