/**
 * The command line of `cto-jobs`, checked before anything starts (no synthesis, no embedded DynamoDB): every
 * bad value is refused with one line naming it and what is allowed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { JOB_NAMES, type JobName } from '../../shared/domain/job-run.ts';
import { EVENT_TYPES, type EventType } from '../../shared/domain/sync-event.ts';

/** A mistake in the command line: shown as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  at: { type: 'string' },
  json: { type: 'boolean' },
  job: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  out: { type: 'string' },
  html: { type: 'string' },
  aws: { type: 'boolean' },
  purge: { type: 'boolean' },
  wait: { type: 'boolean' },
  send: { type: 'boolean' },
  'confirm-not-delivered': { type: 'boolean' },
  name: { type: 'string' },
  revenue: { type: 'string', multiple: true },
  sla: { type: 'string', multiple: true },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;

interface CommandSpec {
  /** The options it takes besides --help. */
  readonly options: readonly OptionName[];
  /** How many positional arguments it takes at most. */
  readonly arguments: number;
  readonly usage: readonly string[];
}

/** Every command, its options and its usage lines (the usage text is made of them). */
export const COMMANDS = {
  run: {
    options: ['at', 'json', 'verbose'],
    arguments: 1,
    usage: ['run <daily|hourly|weekly|all> [--at <ISO time>] [--json] [--verbose]   run jobs locally; --verbose: a line per step'],
  },
  history: {
    options: ['job', 'limit', 'json', 'aws'],
    arguments: 0,
    usage: ['history [--job <daily|hourly|weekly>] [--limit N] [--json] [--aws]'],
  },
  events: {
    options: ['type', 'limit', 'json', 'aws'],
    arguments: 0,
    usage: ['events [--type <event type>] [--limit N] [--json] [--aws]'],
  },
  metrics: {
    options: ['json', 'aws'],
    arguments: 0,
    usage: ['metrics [--json] [--aws]                                    the latest hourly figures and the open alerts'],
  },
  report: {
    options: ['out', 'at', 'aws'],
    arguments: 0,
    usage: ['report --out <file.html> [--at <ISO time>] [--aws]           render the weekly CTO report without sending it'],
  },
  status: {
    options: ['json', 'html', 'aws'],
    arguments: 0,
    usage: ["status [--json] [--html <file>] [--aws]                     the jobs' health: dashboard, statistics, missed runs"],
  },
  health: {
    options: ['json', 'aws'],
    arguments: 0,
    usage: ["health [--json] [--aws]                                     each project's latest daily health, penalties and bugs"],
  },
  projects: {
    options: ['name', 'revenue', 'sla', 'purge', 'json', 'aws'],
    arguments: 2,
    usage: [
      'projects add <owner/repo> [--name N] [--revenue <severity>=<$/day>]... [--sla <severity>=<hours>]... [--aws]',
      'projects list [--json] [--aws] | projects import <file.json> [--aws]',
      'projects remove <owner/repo> [--purge] [--aws]               stop syncing it; --purge also deletes its items, snapshots, alerts',
    ],
  },
  trigger: {
    options: ['wait', 'json'],
    arguments: 1,
    usage: ['trigger <daily|hourly|weekly> [--wait]                      start a manual run of the deployed stack'],
  },
  smoke: {
    options: ['aws', 'send'],
    arguments: 0,
    usage: ['smoke --aws [--send]                                         run each deployed job once, check it; --send: weekly too'],
  },
  'resend-report': {
    options: ['aws', 'confirm-not-delivered'],
    arguments: 1,
    usage: ['resend-report <YYYY-Www> [--confirm-not-delivered] [--aws]  send a report SES never answered for, once confirmed'],
  },
  redrive: {
    options: [],
    arguments: 1,
    usage: ['redrive <execution-arn>                                      redrive a failed execution of the deployed stack'],
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMANDS;

const COMMAND_NAMES = Object.keys(COMMANDS) as Command[];

/** The usage of every command, or of one. */
export function usageOf(command?: Command): string {
  const lines = command ? COMMANDS[command].usage : COMMAND_NAMES.flatMap((name) => COMMANDS[name].usage);
  return `usage: cto-jobs ${command ?? '<command>'} [options]\n\n${lines.map((line) => `  ${line}`).join('\n')}`;
}

export type CommandLine =
  | { readonly help: true; readonly command?: Command }
  | {
      readonly help: false;
      readonly command: Command;
      readonly positionals: readonly string[];
      readonly values: ParsedValues;
    };

export interface ParsedValues {
  readonly at?: string;
  readonly json: boolean;
  readonly job?: string;
  readonly type?: string;
  readonly limit?: string;
  readonly out?: string;
  readonly html?: string;
  readonly aws: boolean;
  readonly purge: boolean;
  readonly wait: boolean;
  readonly send: boolean;
  readonly 'confirm-not-delivered': boolean;
  readonly verbose: boolean;
  readonly name?: string;
  readonly revenue?: string[];
  readonly sla?: string[];
}

/**
 * The command, its arguments and options.
 * @throws UsageError for an unknown command or option, an option the command does not take, a missing option value,
 *   or too many arguments.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // A lenient first pass finds the command, so an unknown option can be refused with the command's own options.
  const [first] = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false }).positionals;
  const command = first === undefined ? undefined : commandOf(first);
  const { values, positionals } = strictParse(argv, command);
  if (values.help) return { help: true, command };
  if (!command) throw new UsageError(`a command is needed: one of ${COMMAND_NAMES.join(', ')} (cto-jobs --help shows their options)`);
  const spec: CommandSpec = COMMANDS[command];
  for (const option of Object.keys(values) as OptionName[]) {
    if (!spec.options.includes(option)) throw unknownOption(`--${option}`, command);
  }
  const [, ...rest] = positionals;
  if (rest.length > spec.arguments) {
    const allowed = spec.arguments === 0 ? 'no argument' : `at most ${spec.arguments} argument(s)`;
    throw new UsageError(`${command} takes ${allowed}, got ${JSON.stringify(rest[spec.arguments])} too`);
  }
  return {
    help: false,
    command,
    positionals: rest,
    values: {
      ...values,
      json: values.json === true,
      aws: values.aws === true,
      purge: values.purge === true,
      wait: values.wait === true,
      send: values.send === true,
      'confirm-not-delivered': values['confirm-not-delivered'] === true,
      verbose: values.verbose === true,
    } as ParsedValues,
  };
}

function commandOf(name: string): Command {
  if (Object.hasOwn(COMMANDS, name)) return name as Command;
  throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMAND_NAMES.join(', ')})`);
}

function strictParse(argv: readonly string[], command: Command | undefined) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^' ]*)/.exec((error as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw unknownOption(option, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const takesValue = OPTIONS[option.replace(/^-+/, '') as OptionName]?.type === 'string';
      throw new UsageError(`${option} ${takesValue ? 'needs a value' : 'takes no value'}`, { cause: error });
    }
    throw error;
  }
}

function unknownOption(option: string, command: Command | undefined): UsageError {
  const allowed = command
    ? [...COMMANDS[command].options, 'help'].map((name) => `--${name}`)
    : (Object.keys(OPTIONS) as OptionName[]).map((name) => `--${name}`);
  return new UsageError(`unknown option ${JSON.stringify(option)}${command ? ` for ${command}` : ''} (options: ${allowed.join(', ')})`);
}

/**
 * A job name (an own property of JOB_NAMES, so `constructor` is not one), or `all` where `allowAll`.
 * @throws UsageError naming the value and the jobs.
 */
export function jobNameOf(value: string | undefined, allowAll: false): JobName;
export function jobNameOf(value: string | undefined, allowAll: true): JobName | 'all';
export function jobNameOf(value: string | undefined, allowAll: boolean): JobName | 'all' {
  if (value !== undefined && Object.hasOwn(JOB_NAMES, value)) return value as JobName;
  if (allowAll && value === 'all') return 'all';
  const jobs = [...Object.keys(JOB_NAMES), ...(allowAll ? ['all'] : [])].join('|');
  throw new UsageError(`expected a job (${jobs}), got ${JSON.stringify(value ?? '')}`);
}

/** @throws UsageError unless the value is one of the SyncEvent types. */
export function eventTypeOf(value: string): EventType {
  if ((EVENT_TYPES as readonly string[]).includes(value)) return value as EventType;
  throw new UsageError(`--type ${JSON.stringify(value)} is not one of ${EVENT_TYPES.join(', ')}`);
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An exact ISO 8601 instant: a real calendar date and time, with `Z` or an offset (a time without one would be
 * read as the machine's local time; `2026-02-30` would silently become March 2).
 * @throws UsageError naming the value.
 */
export function isoInstantOf(value: string, option = '--at'): Date {
  const match = ISO_INSTANT.exec(value);
  const [year, month, day, hour, minute, second = '0', offsetHours = '0', offsetMinutes = '0'] = match?.slice(1) ?? [];
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const calendar = new Date(Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]));
  const exact =
    match !== null &&
    calendar.getUTCFullYear() === fields[0] &&
    calendar.getUTCMonth() === fields[1] - 1 &&
    calendar.getUTCDate() === fields[2] &&
    calendar.getUTCHours() === fields[3] &&
    calendar.getUTCMinutes() === fields[4] &&
    calendar.getUTCSeconds() === fields[5] &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59;
  if (!exact) {
    throw new UsageError(
      `${option} ${JSON.stringify(value)} is not an ISO 8601 time with Z or an offset ` +
        '(e.g. 2026-11-30T02:00:00Z or 2026-11-30T03:00:00+01:00)',
    );
  }
  return new Date(value);
}

/** @throws UsageError unless the value is a positive whole number written in digits. */
export function positiveIntegerOf(value: string, option: string): number {
  const number = Number(value);
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(number)) {
    throw new UsageError(`${option} ${JSON.stringify(value)} is not a positive integer (1, 2, 3, …)`);
  }
  return number;
}

/**
 * The local data directory, resolved: it may not exist yet, but it may not be (or lie under) a file.
 * @throws UsageError naming the value.
 */
export function homeDirectoryOf(value: string): string {
  const home = path.resolve(value);
  for (let entry = home; ; entry = path.dirname(entry)) {
    let isDirectory: boolean;
    try {
      isDirectory = fs.statSync(entry).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && path.dirname(entry) !== entry) continue;
      if (code !== 'ENOTDIR') throw error;
      isDirectory = false;
    }
    if (isDirectory) return home;
    throw new UsageError(`CTO_JOBS_HOME ${JSON.stringify(value)} is not a directory${entry === home ? '' : ` (${entry} is a file)`}`);
  }
}

/** The largest import file read: a project list is a few kilobytes; a bigger file is a mistake, not a list. */
export const IMPORT_FILE_LIMIT_BYTES = 1_048_576;

/**
 * The content of a JSON file of at most {@link IMPORT_FILE_LIMIT_BYTES}.
 * @throws UsageError when it cannot be read, is too large or is not JSON.
 */
export function readJsonFileOf(file: string): unknown {
  let text: string;
  try {
    const descriptor = fs.openSync(file, 'r');
    try {
      const { size } = fs.fstatSync(descriptor);
      if (size > IMPORT_FILE_LIMIT_BYTES) {
        throw new UsageError(
          `${JSON.stringify(file)} is ${size.toLocaleString('en-US')} bytes; an import file is at most 1 MB (1,048,576 bytes)`,
        );
      }
      text = fs.readFileSync(descriptor, 'utf8');
    } finally {
      fs.closeSync(descriptor);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${JSON.stringify(file)} (${(error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${JSON.stringify(file)} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
