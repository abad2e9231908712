/**
 * A job schedule's slots (cron in an IANA time zone, daylight saving included), in Scheduler's time format.
 * Apart from the rest of the monitoring domain because cron-parser, a CommonJS package that esbuild cannot
 * drop once a module imports it, brings luxon (about 100 KB with it) into every bundle that imports this file.
 */
import { CronExpressionParser } from 'cron-parser';

/** A schedule as configured: cron and IANA time zone. */
export interface JobSchedule {
  readonly cron: string;
  readonly timeZone: string;
}

/** Scheduler's `<aws.scheduler.scheduled-time>` form: ISO 8601 UTC to the second, as run ids carry it. */
export function schedulerTimeOf(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}Z`;
}

/** The schedule's slots in (`after`, `until`], in its time zone (daylight saving included). */
export function expectedSlots(schedule: JobSchedule, after: Date, until: Date): string[] {
  const slots: string[] = [];
  const iterator = CronExpressionParser.parse(schedule.cron, { currentDate: after, endDate: until, tz: schedule.timeZone });
  while (iterator.hasNext()) slots.push(schedulerTimeOf(iterator.next().toDate()));
  return slots;
}

/** The schedule's next slot after `now`. */
export function nextSlot(schedule: JobSchedule, now: Date): string {
  return schedulerTimeOf(CronExpressionParser.parse(schedule.cron, { currentDate: now, tz: schedule.timeZone }).next().toDate());
}
