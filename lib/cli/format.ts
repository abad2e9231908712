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

/**
 * A plain-text table: a header row, then one row per item, columns padded to their widest cell. Every cell goes
 * through {@link terminalText}, so data from GitHub or an import file can neither colour nor move the terminal.
 */
export function table(headers: readonly string[], untrustedRows: readonly (readonly string[])[]): string {
  const rows = untrustedRows.map((row) => row.map((cell) => terminalText(cell)));
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** JobHistory rows as a table. */
export function runsTable(runs: readonly JobRun[]): string {
  return table(
    ['job', 'trigger', 'scheduled', 'status', 'duration', 'attempts', 'records', 'failed', 'note'],
    runs.map((run) => [
      run.jobType,
      run.trigger,
      run.scheduledTime,
      run.status,
      run.durationMs === undefined ? '-' : `${(run.durationMs / 1000).toFixed(1)} s`,
      String(run.attempts),
      String(run.recordsProcessed),
      String(run.recordsFailed),
      run.errorName
        ? `${run.errorName}: ${run.errorMessage ?? ''}`
        : [run.summary, run.duplicateDeliveries ? `${run.duplicateDeliveries} duplicate delivery(ies) ignored` : '']
            .filter(Boolean)
            .join('; '),
    ]),
  );
}

/** SyncEvents as a table. */
export function eventsTable(events: readonly SyncEvent[]): string {
  return table(
    ['time', 'type', 'level', 'run', 'project', 'message'],
    events.map((event) => [event.timestamp, event.eventType, event.level, event.runId, event.project ?? '', event.message]),
  );
}

/** Daily snapshots as a table, worst health first. */
export function healthTable(snapshots: readonly DailySnapshot[]): string {
  return table(
    ['project', 'health', 'open bugs (c/h/m/l)', 'SLA breaches', 'unassigned critical', 'revenue at risk/day', 'stale PRs'],
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
  );
}
