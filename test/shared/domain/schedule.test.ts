import { describe, expect, it } from 'vitest';
import { findDstGaps, isTimeZone, parseCron, toSchedulerCron } from '../../../shared/domain/schedule.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

describe('toSchedulerCron', () => {
  it.each([
    ['0 2 * * *', 'cron(0 2 * * ? *)'],
    ['0 * * * *', 'cron(0 * * * ? *)'],
    ['0 9 * * 1', 'cron(0 9 ? * MON *)'],
    ['30 6 * * 1-5', 'cron(30 6 ? * MON,TUE,WED,THU,FRI *)'],
    ['0 9 * * 0', 'cron(0 9 ? * SUN *)'],
    ['0 9 * * 7', 'cron(0 9 ? * SUN *)'],
    ['0 9 * * sat,sun', 'cron(0 9 ? * SUN,SAT *)'],
    ['*/15 8-10 1 * *', 'cron(0,15,30,45 8,9,10 1 * ? *)'],
  ])('turns %s into %s', (cron, expected) => {
    expect(toSchedulerCron(parseCron(cron))).toBe(expected);
  });

  it.each([
    ['0 2 * *', /not a 5-field cron expression/],
    ['61 2 * * *', /minute field "61" is outside 0-59/],
    ['0 25 * * *', /hour field "25" is outside 0-23/],
    ['0 2 * * funday', /day of week field "funday" has "funday", which is not a number/],
    ['0 2 1 * 1', /restricts both day of month and day of week/],
  ])('rejects %s naming the bad field', (cron, message) => {
    expect(() => parseCron(cron)).toThrow(message);
  });
});

describe('findDstGaps', () => {
  it('finds the spring-forward day on which 02:00 does not exist in Europe/Berlin', () => {
    expect(findDstGaps(parseCron('0 2 * * *'), 'Europe/Berlin', NOW)).toEqual([{ date: '2027-03-28', time: '02:00' }]);
  });

  it('finds 02:30 on the US spring-forward Sunday for a weekly Sunday schedule', () => {
    expect(findDstGaps(parseCron('30 2 * * 0'), 'America/New_York', NOW)).toEqual([{ date: '2027-03-14', time: '02:30' }]);
  });

  it('finds nothing for a Monday schedule, a time after the gap, or a zone without DST', () => {
    expect(findDstGaps(parseCron('0 2 * * 1'), 'Europe/Berlin', NOW)).toEqual([]);
    expect(findDstGaps(parseCron('0 3 * * *'), 'Europe/Berlin', NOW)).toEqual([]);
    expect(findDstGaps(parseCron('0 2 * * *'), 'UTC', NOW)).toEqual([]);
    expect(findDstGaps(parseCron('0 2 * * *'), 'Asia/Tokyo', NOW)).toEqual([]);
  });

  it('treats the repeated hour of the fall-back day as existing', () => {
    expect(findDstGaps(parseCron('30 1 * * *'), 'America/New_York', NOW)).toEqual([]);
  });
});

describe('isTimeZone', () => {
  it('accepts IANA zones and rejects others', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
