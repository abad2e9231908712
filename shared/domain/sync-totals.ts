/** What one project's sync has cost and brought so far in this run (carried from chunk to chunk). */
export interface SyncTotals {
  readonly fetched: number;
  readonly written: number;
  readonly requests: number;
  readonly notModified: number;
  readonly durationMs: number;
}

/** The totals a project's sync starts from (the daily Map's item selector carries them too). */
export const ZERO_TOTALS: SyncTotals = { fetched: 0, written: 0, requests: 0, notModified: 0, durationMs: 0 };
