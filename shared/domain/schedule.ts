/**
 * Cron schedules: the 5-field cron users write (`0 2 * * *`), its EventBridge Scheduler form
 * (`cron(0 2 * * ? *)`), and the daylight-saving checks that EventBridge does not do for us.
 */

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELD_RANGES = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** A parsed 5-field cron: each field is the sorted set of values it matches, or null for `*`. */
export interface CronFields {
  readonly minutes: readonly number[] | null;
  readonly hours: readonly number[] | null;
  readonly daysOfMonth: readonly number[] | null;
  readonly months: readonly number[] | null;
  /** 0 = Sunday ... 6 = Saturday (7 is folded into 0). */
  readonly daysOfWeek: readonly number[] | null;
  readonly source: string;
}

/**
 * Parses a standard 5-field cron expression (numbers, `*`, lists, ranges and steps; day-of-week names).
 * @throws Error naming the bad field and value.
 */
export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(`"${expression}" is not a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "0 2 * * *")`);
  }
  const values = parts.map((part, index) => parseField(part, index, expression));
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = values;
  if (daysOfMonth !== null && daysOfWeek !== null) {
    throw new Error(`"${expression}" restricts both day of month and day of week; EventBridge Scheduler allows only one of them`);
  }
  return {
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek: daysOfWeek === null ? null : [...new Set(daysOfWeek.map((day) => day % 7))].sort((a, b) => a - b),
    source: expression.trim(),
  };
}

function parseField(part: string, index: number, expression: string): number[] | null {
  const { name, min, max } = FIELD_RANGES[index]!;
  if (part === '*') return null;
  const bad = (why: string) => new Error(`"${expression}": ${name} field "${part}" ${why}`);
  const values = new Set<number>();
  for (const item of part.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw bad('is not a number, list, range or step');
    const [, span, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw bad('has a step below 1');
    let low: number = min;
    let high: number = index === 4 ? 6 : max;
    if (span !== '*') {
      const [from, to] = span!.split('-');
      low = toNumber(from!, index, bad);
      high = to === undefined ? (stepText === undefined ? low : high) : toNumber(to, index, bad);
    }
    if (low < min || high > max || low > high) throw bad(`is outside ${min}-${max}`);
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function toNumber(text: string, index: number, bad: (why: string) => Error): number {
  if (/^\d+$/.test(text)) return Number(text);
  if (index === 4) {
    const day = DAY_NAMES.indexOf(text.toUpperCase() as (typeof DAY_NAMES)[number]);
    if (day >= 0) return day;
  }
  throw bad(`has "${text}", which is not a number`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The EventBridge Scheduler form of a cron: 6 fields, `?` in the unused day field, weekday names. */
export function toSchedulerCron(cron: CronFields): string {
  const list = (values: readonly number[] | null, render: (value: number) => string = String) =>
    values === null ? '*' : values.map(render).join(',');
  const dayOfMonth = cron.daysOfWeek === null ? list(cron.daysOfMonth) : '?';
  const dayOfWeek = cron.daysOfWeek === null ? '?' : list(cron.daysOfWeek, (day) => DAY_NAMES[day]!);
  return `cron(${list(cron.minutes)} ${list(cron.hours)} ${dayOfMonth} ${list(cron.months)} ${dayOfWeek} *)`;
}

/** Whether `timeZone` is an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A local wall-clock time on a date when it does not exist (the spring-forward gap). */
export interface DstGap {
  readonly date: string;
  readonly time: string;
}

/**
 * Lists the times a cron would fire that fall into a daylight-saving gap of `timeZone` in the year
 * after `now`: EventBridge Scheduler silently skips those runs.
 */
export function findDstGaps(cron: CronFields, timeZone: string, now: Date): DstGap[] {
  const gaps: DstGap[] = [];
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let day = 0; day < 366; day++) {
    const date = new Date(start + day * 86_400_000);
    const [year, month, dayOfMonth, dayOfWeek] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()];
    if (cron.months && !cron.months.includes(month)) continue;
    if (cron.daysOfMonth && !cron.daysOfMonth.includes(dayOfMonth)) continue;
    if (cron.daysOfWeek && !cron.daysOfWeek.includes(dayOfWeek)) continue;
    for (const hour of cron.hours ?? range(0, 23)) {
      for (const minute of cron.minutes ?? range(0, 59)) {
        if (!wallTimeExists(timeZone, year, month, dayOfMonth, hour, minute)) {
          gaps.push({ date: date.toISOString().slice(0, 10), time: `${pad(hour)}:${pad(minute)}` });
        }
      }
    }
  }
  return gaps;
}

function wallTimeExists(timeZone: string, year: number, month: number, day: number, hour: number, minute: number) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // A wall time exists when one of the offsets in force around it maps it back onto itself.
  return [wall - 86_400_000, wall + 86_400_000].some((probe) => {
    const instant = wall - offsetMs(timeZone, probe);
    return wallClockMs(timeZone, instant) === wall;
  });
}

function offsetMs(timeZone: string, instant: number): number {
  return wallClockMs(timeZone, instant) - instant;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local wall-clock time of an instant in `timeZone`, as milliseconds since the epoch as if it were UTC. */
export function wallClockMs(timeZone: string, instant: number): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
