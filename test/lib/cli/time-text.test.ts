import { describe, expect, it } from 'vitest';
import { dayLabel, durationText, exactTime, relativeTime } from '../../../lib/cli/time-text.ts';

const NOW = new Date('2026-11-28T12:30:00Z');

describe('time-text', () => {
  it('says how long ago or how soon, in minutes, hours up to two days, then days', () => {
    expect(relativeTime('2026-11-28T12:29:31Z', NOW)).toBe('just now');
    expect(relativeTime('2026-11-28T13:10:00Z', NOW)).toBe('in 40 min');
    expect(relativeTime('2026-11-28T09:30:00.123Z', NOW)).toBe('3 h ago');
    expect(relativeTime('2026-11-30T09:00:00Z', NOW)).toBe('in 45 h');
    expect(relativeTime('2026-11-19T02:00:00Z', NOW)).toBe('9 d ago');
  });

  it('gives the exact time in UTC without milliseconds, a day label, and durations in their unit', () => {
    expect(exactTime('2026-11-28T02:00:00.000Z')).toBe('2026-11-28 02:00 UTC');
    expect(exactTime('2026-11-28T10:15:30.123Z')).toBe('2026-11-28 10:15:30 UTC');
    expect(dayLabel('2026-11-28')).toBe('28 Nov');
    expect([850, 12_400, 210_000, null].map(durationText)).toEqual(['850 ms', '12.4 s', '3.5 min', '-']);
  });
});
