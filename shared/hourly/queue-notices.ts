import { createHash } from 'node:crypto';
import type { AlertDigest } from '../domain/alert-message.ts';
import type { AlertNotice, AlertState } from '../domain/alerts.ts';
import type { AlertsStore } from '../store/alerts-store.ts';

/**
 * Queues a run's notices in the outbox and returns the alert states that may be saved: all of them,
 * unless an earlier attempt of the step already queued this notification; then a state whose notice
 * that notification does not carry is left unsaved, so the next run notifies it instead of no run.
 */
export async function queueNotices(
  alerts: AlertsStore,
  digest: AlertDigest,
  notices: readonly AlertNotice[],
  writes: readonly AlertState[],
): Promise<readonly AlertState[]> {
  if (notices.length === 0) return writes;
  const queued = await alerts.enqueue(digest, notices.map(noticeKeyOf));
  if (queued.queued) return writes;
  const notified = new Map(notices.map((notice) => [notice.alert.alertId, noticeKeyOf(notice)]));
  return writes.filter((state) => {
    const key = notified.get(state.alertId);
    return key === undefined || queued.noticeKeys.has(key);
  });
}

/** A short, stable key of a notice: 12 hex characters, so the outbox holds 15,000 a DynamoDB item. */
function noticeKeyOf(notice: AlertNotice): string {
  return createHash('sha1').update(`${notice.kind}#${notice.alert.alertId}`).digest('hex').slice(0, 12);
}
