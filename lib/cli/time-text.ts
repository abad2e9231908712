/** Times and durations as an operator reads them: "3 h ago", "in 40 min", "28 Nov 02:00 UTC", "1.2 s". */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * How far `iso` is from `now`, in the largest unit that says it in under three digits: "just now" within a minute,
 * then minutes, hours up to two days, days; "ago" for the past, "in" for the future.
 */
export function relativeTime(iso: string, now: Date): string {
  const offsetMs = Date.parse(iso) - now.getTime();
  const distanceMs = Math.abs(offsetMs);
  if (distanceMs < MINUTE_MS) return 'just now';
  const amount =
    distanceMs < HOUR_MS
      ? `${Math.round(distanceMs / MINUTE_MS)} min`
      : distanceMs < 2 * DAY_MS
        ? `${Math.round(distanceMs / HOUR_MS)} h`
        : `${Math.round(distanceMs / DAY_MS)} d`;
  return offsetMs < 0 ? `${amount} ago` : `in ${amount}`;
}

/** An instant to the minute, in UTC, without the ISO noise: "2026-11-28 02:00 UTC" (seconds only when set). */
export function exactTime(iso: string): string {
  const date = new Date(iso);
  const seconds = date.getUTCSeconds() === 0 ? '' : `:${String(date.getUTCSeconds()).padStart(2, '0')}`;
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)}${seconds} UTC`;
}

/** A UTC day as a chart's axis shows it: "28 Nov". */
export function dayLabel(date: string): string {
  const [, month, day] = date.split('-').map(Number);
  return `${day} ${MONTHS[month! - 1]}`;
}

/** A run's duration: "850 ms", "12.4 s", "3.5 min"; "-" for none. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < MINUTE_MS) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / MINUTE_MS).toFixed(1)} min`;
}
