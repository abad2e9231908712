import type { Evaluation } from '../store/alerts-store.ts';

/** The words a replay's summary starts with, so its output says no alert was evaluated. */
export function replayNote(at: Date, evaluation: Extract<Evaluation, { replay: true }>): string {
  return `replay of ${at.toISOString()} (alerts were last evaluated at ${evaluation.latest}): alert state unchanged, nothing notified`;
}
