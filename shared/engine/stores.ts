import { ENV, requireEnv, requirePositiveInt } from '../environment.ts';
import { documentClient } from '../store/dynamo-client.ts';
import { JobHistoryStore } from '../store/job-history-store.ts';
import { SyncEventsStore } from '../store/sync-events-store.ts';

/** The tables the engine records runs and events in. */
export interface EngineStores {
  readonly runs: JobHistoryStore;
  readonly events: SyncEventsStore;
}

/** Builds the engine's stores from the Lambda environment (table names and retention periods). */
export function engineStoresFromEnvironment(): EngineStores {
  return {
    runs: new JobHistoryStore(documentClient, requireEnv(ENV.jobHistoryTable), requirePositiveInt(ENV.historyRetentionDays)),
    events: syncEventsStoreFromEnvironment(),
  };
}

/** The SyncEvents store alone, for handlers that are not granted JobHistory. */
export function syncEventsStoreFromEnvironment(): SyncEventsStore {
  return new SyncEventsStore(documentClient, requireEnv(ENV.syncEventsTable), requirePositiveInt(ENV.logRetentionDays));
}
