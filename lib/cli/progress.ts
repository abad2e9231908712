/**
 * What `cto-jobs run` says while it works, on stderr. On a terminal: one line per job that updates in place (the step,
 * and for a Map over projects the count and the project in hand), with the changes worth keeping (retries, caught
 * errors) printed above it. Elsewhere, or with --verbose: plain lines, one per meaningful step, each naming the job and
 * the project. Colour only on a terminal and never with NO_COLOR (https://no-color.org).
 */
import type { StateChange } from '../local/execute.ts';
import type { StartupStep } from '../local/runtime.ts';
import { columnsOf, cutToColumns, TABLE_WIDTH, terminalText, wrap } from './format.ts';

/** The stream progress goes to (process.stderr). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressMode {
  /** One updating line per job (a terminal, without --verbose); otherwise plain lines. */
  readonly live: boolean;
  readonly color: boolean;
  /** Columns a line may take. */
  readonly width: number;
}

/**
 * How progress is shown on `stream`.
 * @param noColor the NO_COLOR environment variable: any non-empty value turns colour off
 */
export function progressModeOf(stream: ProgressStream, options: { verbose: boolean; noColor: string | undefined }): ProgressMode {
  const terminal = stream.isTTY === true;
  return {
    live: terminal && !options.verbose,
    color: terminal && !options.noColor,
    width: Math.min(TABLE_WIDTH, stream.columns || TABLE_WIDTH),
  };
}

/** Redraws of the live line at most this often: a Map over hundreds of projects changes state thousands of times. */
const REDRAW_INTERVAL_MS = 80;

const COLORS = { green: 32, red: 31, yellow: 33 } as const;
type Color = keyof typeof COLORS;

/** The lines on `stream`: permanent ones, and on a terminal the one live line below them. */
export class ProgressLines {
  private shown = '';
  private pending: string | undefined;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ProgressStream,
    readonly mode: ProgressMode,
  ) {}

  /** A permanent line (cut to the width), above the live line; in `color` when colour is on. */
  line(text: string, color?: Color): void {
    this.erase();
    this.stream.write(`${this.paint(this.fit(text), color)}\n`);
    if (this.shown) this.draw(this.shown);
  }

  /** Text wrapped to the width, as permanent lines. */
  paragraph(text: string): void {
    for (const line of wrap(text, this.mode.width)) this.line(line);
  }

  /** Replaces the live line (a terminal only; plain output prints only what {@link line} is given). */
  status(text: string): void {
    if (!this.mode.live || (text === this.shown && this.pending === undefined)) return;
    this.pending = text;
    const wait = this.lastDraw + REDRAW_INTERVAL_MS - performance.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait).unref();
  }

  /** Ends the live line with `text`, which stays; plain output prints it as a line. */
  finish(text: string, color?: Color): void {
    this.cancel();
    this.erase();
    this.shown = '';
    this.stream.write(`${this.paint(this.fit(text), color)}\n`);
  }

  private paint(text: string, color: Color | undefined): string {
    return this.mode.color && color ? `\u001B[${COLORS[color]}m${text}\u001B[39m` : text;
  }

  private flush(): void {
    this.cancel();
    if (this.pending !== undefined) this.draw(this.pending);
    this.pending = undefined;
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Draws the live line over the last one: a carriage return, then spaces over what is left (no escape sequence). */
  private draw(text: string): void {
    const fitted = this.fitLive(text);
    this.stream.write(`\r${fitted}${' '.repeat(Math.max(0, columnsOf(this.fitLive(this.shown)) - columnsOf(fitted)))}`);
    this.shown = text;
    this.lastDraw = performance.now();
  }

  private erase(): void {
    if (!this.shown) return;
    this.stream.write(`\r${' '.repeat(columnsOf(this.fitLive(this.shown)))}\r`);
  }

  /** The live line stops one column short of the width: a terminal never wraps it, so a carriage return redraws it. */
  private fitLive(text: string): string {
    return this.fit(text, this.mode.width - 1);
  }

  /** Cut to `width`, its last character an ellipsis when cut. */
  private fit(text: string, width = this.mode.width): string {
    return cutToColumns(text, width);
  }
}

/** What the start-up is doing, in words. */
export function startupText(step: StartupStep): string {
  switch (step.step) {
    case 'synthesizing':
      return 'synthesizing the stack (CDK and cdk-nag, once per change of the sources; kept for the next runs)…';
    case 'synthesized':
      return `synthesized the stack in ${(step.durationMs / 1000).toFixed(1)} s`;
    case 'template kept':
      return 'using the stack template kept from an earlier synthesis';
    case 'tables':
      return 'starting the local DynamoDB…';
    case 'local services':
      return `starting the local SES${step.demoGitHub ? ' and the demo GitHub' : ''}…`;
  }
}

/** One Map iteration (one project) in hand. */
interface Iteration {
  readonly project: string | undefined;
  state?: string;
  /** The state whose error a Catch took: the iteration's project failed. */
  caught?: string;
}

/**
 * Follows one job's run from its state changes: the step it is at, and for a Map over projects how many are done and
 * which is in hand. A Distributed Map's projects are those of its child executions' Maps, counted together under the
 * parent's step: its total grows as each child lists its projects, and is the run's once the last child has.
 */
export class JobProgress {
  private step = 'starting';
  private map: { state: string; total: number | undefined; done: number; failed: number } | undefined;
  /** Iterations in hand by execution and machine: each child execution numbers its machines from 0. */
  private readonly iterations = new Map<string, Iteration>();
  private latest: string | undefined;

  constructor(
    private readonly lines: ProgressLines,
    /** The job type, e.g. daily_sync. */
    private readonly job: string,
    /** How the run was asked for, e.g. "(manual run)". */
    request: string,
  ) {
    if (lines.mode.live) lines.status(this.statusText());
    else lines.line(`▶ ${job} ${request}`);
  }

  /** Takes one change of the run (ExecuteOptions.onStateChange). */
  readonly onStateChange = (change: StateChange): void => {
    const key = `${change.execution ?? ''}#${change.machine}`;
    const iteration = this.iterations.get(key);
    switch (change.kind) {
      case 'started':
        if (change.scope.kind === 'Map') {
          this.iterations.set(key, { project: projectOf(change.input) });
          this.latest = key;
        } else if (change.execution !== undefined && this.map?.state !== this.step) {
          // The first child execution of the step in hand: a Distributed Map, whose projects the children count.
          this.map = { state: this.step, total: 0, done: 0, failed: 0 };
        }
        break;
      case 'entered':
        if (iteration) iteration.state = change.state;
        else if (change.execution === undefined) this.enterStep(change.state, change.type, change.items);
        else if (change.type === 'Map' && this.map) this.map.total = (this.map.total ?? 0) + (change.items ?? 0);
        break;
      case 'retried':
        this.lines.line(`  ↻ ${this.job}  ${change.state} retried${projectNote(iteration)}`, 'yellow');
        break;
      case 'caught':
        if (iteration) iteration.caught = change.state;
        this.lines.line(`  ⚠ ${this.job}  ${change.state} failed, caught${projectNote(iteration)}`, 'yellow');
        break;
      case 'failed':
        this.lines.line(`  ✗ ${this.job}  ${change.state}: ${change.error ?? 'failed'}${projectNote(iteration)}`, 'red');
        break;
      case 'ended':
        if (iteration) this.endIteration(key, iteration);
        break;
    }
    this.lines.status(this.statusText());
  };

  /** Ends the job's line: `text` says how the run ended. */
  finish(ok: boolean, text: string): void {
    const counted = this.map?.total === undefined ? '' : `  ${this.map.done}/${this.map.total} projects`;
    const failed = this.map?.failed ? `, ${this.map.failed} failed` : '';
    this.lines.finish(`${ok ? '✓' : '✗'} ${this.job}  ${text}${counted}${failed}`, ok ? 'green' : 'red');
  }

  private enterStep(state: string, type: string, items: number | undefined): void {
    this.step = state;
    if (type === 'Map') this.map = { state, total: items, done: 0, failed: 0 };
    // A Choice decides, it does nothing worth a line.
    if (!this.lines.mode.live && type !== 'Choice') {
      this.lines.line(`  → ${state}${type === 'Map' && items !== undefined ? ` (${items} projects)` : ''}`);
    }
  }

  private endIteration(key: string, iteration: Iteration): void {
    this.iterations.delete(key);
    if (!this.map) return;
    this.map.done++;
    if (iteration.caught) this.map.failed++;
    if (this.lines.mode.live) return;
    const count = `${this.map.done}/${this.map.total ?? '?'} projects`;
    const project = iteration.project ?? '(no project)';
    if (iteration.caught) this.lines.line(`  ✗ ${this.job}  ${count}  ${project}: ${iteration.caught} failed`, 'red');
    else this.lines.line(`  ✓ ${this.job}  ${count}  ${project}`);
  }

  private statusText(): string {
    const map = this.map?.state === this.step ? this.map : undefined;
    if (!map) return `▶ ${this.job}  ${this.step}`;
    // The project most recently started and still in hand, or the last one started.
    const inHand = this.latest === undefined ? undefined : (this.iterations.get(this.latest) ?? [...this.iterations.values()].at(-1));
    const project = inHand?.project ? `  ${inHand.project}${inHand.state ? `: ${inHand.state}` : ''}` : '';
    return `▶ ${this.job}  ${this.step} ${map.done}/${map.total ?? '?'} projects${project}`;
  }
}

/** The project a Map iteration works on: its input's projectId, made inert (it comes from a project's registration). */
function projectOf(input: unknown): string | undefined {
  const projectId = (input as { projectId?: unknown } | null)?.projectId;
  return typeof projectId === 'string' ? terminalText(projectId, 60) : undefined;
}

function projectNote(iteration: Iteration | undefined): string {
  return iteration?.project ? ` (${iteration.project})` : '';
}
