import type { DailySnapshot } from '../../shared/domain/daily-metrics.ts';
import type { JobRun } from '../../shared/domain/job-run.ts';
import type { SyncEvent } from '../../shared/domain/sync-event.ts';
import { plainText } from '../../shared/domain/untrusted-text.ts';

/**
 * ANSI escape sequences: CSI (colours, cursor moves, screen clears; 7-bit ESC [ or 8-bit U+009B), OSC (window
 * titles, hyperlinks; ended by BEL or ST) and the short ones (ESC c, ESC ( B). Removed whole, so no `[31m` debris is left.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control sequences is the point.
const ANSI_ESCAPES = /(?:\u001B\[|\u009B)[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[ -/]*[0-~]/g;

/**
 * Untrusted text (a display name, a title, an error message) as one inert terminal line: escape sequences removed,
 * then controls and bidirectional overrides dropped and whitespace collapsed (plainText).
 * @param maxLength characters kept, as people count them
 * @default maxLength no limit
 */
export function terminalText(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  return plainText(text.replace(ANSI_ESCAPES, ''), maxLength);
}

/** Columns the CLI's tables and lines fit in: a terminal of 100 columns shows them unwrapped. */
export const TABLE_WIDTH = 100;

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** A character a terminal shows two columns wide: an emoji shown as one (🔥, 👩‍👧, 🇩🇪) or an East Asian wide character. */
const WIDE =
  /^(?:\p{Emoji_Presentation}|\p{Regional_Indicator}|.\uFE0F|[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{20000}-\u{3FFFD}])/u;

/** The columns `text` takes on a terminal (its characters as people count them, a wide one counting two). */
export function columnsOf(text: string): number {
  let columns = 0;
  for (const { segment } of GRAPHEMES.segment(text)) columns += WIDE.test(segment) ? 2 : 1;
  return columns;
}

/** `text` cut to `width` columns, its last character an ellipsis when cut. */
export function cutToColumns(text: string, width: number): string {
  if (columnsOf(text) <= width) return text;
  let kept = '';
  let columns = 0;
  for (const { segment } of GRAPHEMES.segment(text)) {
    const next = columns + (WIDE.test(segment) ? 2 : 1);
    if (next > width - 1) break;
    kept += segment;
    columns = next;
  }
  return `${kept}…`;
}

export interface TableOptions {
  /** Text shown under each row (its note or message), indented and wrapped to the width, at most {@link DETAIL_LINES} lines. */
  readonly details?: readonly string[];
  /** The column cut (with …) when the table is wider than {@link TABLE_WIDTH}. @default the last */
  readonly flexible?: number;
  /** Says what the columns that need it mean, under the table. */
  readonly legend?: string;
}

/** Lines of a row's detail at most; --json has the full text. */
const DETAIL_LINES = 3;

/**
 * A plain-text table of at most {@link TABLE_WIDTH} columns: a header row, then one row per item, columns padded to
 * their widest cell, the flexible column cut to fit. Every cell goes through {@link terminalText}, so data from GitHub
 * or an import file can neither colour nor move the terminal.
 */
export function table(headers: readonly string[], untrustedRows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const rows = untrustedRows.map((row) => row.map((cell) => terminalText(cell)));
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => columnsOf(row[column] ?? ''))));
  const flexible = options.flexible ?? headers.length - 1;
  const total = widths.reduce((sum, width) => sum + width, 0) + 2 * (headers.length - 1);
  if (total > TABLE_WIDTH) widths[flexible] = Math.max(headers[flexible]!.length, widths[flexible]! - (total - TABLE_WIDTH));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const shown = cutToColumns(cell, widths[column]!);
        return `${shown}${' '.repeat(widths[column]! - columnsOf(shown))}`;
      })
      .join('  ')
      .trimEnd();
  const details = options.details?.map((detail) => terminalText(detail));
  const body = rows.flatMap((row, index) => {
    const detail = details?.[index];
    return detail ? [line(row), ...wrap(detail, TABLE_WIDTH - 2, DETAIL_LINES).map((text) => `  ${text}`)] : [line(row)];
  });
  const legend = options.legend ? wrap(options.legend, TABLE_WIDTH) : [];
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...body, ...legend].join('\n');
}

/**
 * Plain text wrapped at spaces to `width` columns (a word longer than that is cut), at most `maxLines` lines, the last
 * one ending with … when text was left out.
 * @default maxLines no limit
 */
export function wrap(text: string, width = TABLE_WIDTH, maxLines = Number.POSITIVE_INFINITY): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ').filter(Boolean)) {
    const joined = current ? `${current} ${word}` : word;
    if (columnsOf(joined) <= width) current = joined;
    else {
      if (current) lines.push(current);
      current = cutToColumns(word, width);
    }
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = cutToColumns(`${kept[maxLines - 1]!}…`, width);
  return kept;
}

/** An ISO instant to the second, without milliseconds (2026-12-01T22:27:26Z): tables have no room for them. */
export function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** JobHistory rows as a table; each run's note (its summary, or its error) wrapped under it. */
export function runsTable(runs: readonly JobRun[]): string {
  return table(
    ['job', 'trigger', 'scheduled', 'status', 'duration', 'attempts', 'records', 'failed'],
    runs.map((run) => [
      run.jobType,
      run.trigger,
      shortTime(run.scheduledTime),
      run.status,
      run.durationMs === undefined ? '-' : `${(run.durationMs / 1000).toFixed(1)} s`,
      String(run.attempts),
      String(run.recordsProcessed),
      String(run.recordsFailed),
    ]),
    {
      details: runs.map((run) =>
        run.errorName
          ? `${run.errorName}: ${run.errorMessage ?? ''}`
          : [run.summary, run.duplicateDeliveries ? `${run.duplicateDeliveries} duplicate delivery(ies) ignored` : '']
              .filter(Boolean)
              .join('; '),
      ),
      legend:
        'attempts: the most tries one step needed. records: items the steps handled (work items synced, snapshots written, ' +
        'records deleted or archived); failed: those that failed (a project that did not sync counts 1). Times UTC; ' +
        '--json has the full notes.',
    },
  );
}

/** SyncEvents as a table; each event's message wrapped under it. */
export function eventsTable(events: readonly SyncEvent[]): string {
  return table(
    ['time', 'type', 'level', 'project', 'run'],
    events.map((event) => [shortTime(event.timestamp), event.eventType, event.level, event.project ?? '', event.runId]),
    { details: events.map((event) => event.message), flexible: 3, legend: 'Times UTC; --json has the full messages.' },
  );
}

/** Daily snapshots as a table, worst health first. */
export function healthTable(snapshots: readonly DailySnapshot[]): string {
  return table(
    ['project', 'health', 'open c/h/m/l', 'SLA (all)', 'unassigned', 'at risk/day', 'stale PRs'],
    [...snapshots]
      .sort((a, b) => a.health.score - b.health.score)
      .map((snapshot) => [
        snapshot.projectId,
        String(snapshot.health.score),
        `${snapshot.openBugs.critical}/${snapshot.openBugs.high}/${snapshot.openBugs.medium}/${snapshot.openBugs.low}`,
        String(snapshot.slaBreaches),
        String(snapshot.unassignedCritical),
        `$${snapshot.revenueAtRisk.toLocaleString('en-US')}`,
        String(snapshot.stalePullRequests),
      ]),
    {
      flexible: 0,
      legend:
        'open c/h/m/l: open bugs by severity (critical/high/medium/low). SLA (all): open bugs past their SLA, every ' +
        'severity. unassigned: open critical bugs with no assignee. at risk/day: revenue at risk.',
    },
  );
}
