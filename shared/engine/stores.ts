import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';

/** The tables the engine records runs and events in (built by shared/dependencies.ts). */
export interface EngineStores {
  readonly runs: JobHistoryStore;
  readonly events: SyncEventsStore;
}
