import { describe, expect, it } from 'vitest';
import { JobProgress, ProgressLines, type ProgressStream, progressModeOf } from '../../../lib/cli/progress.ts';
import type { StateChange } from '../../../lib/local/execute.ts';

/** A stream that keeps what is written, a terminal or not. */
function streamOf(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  return {
    text: '',
    isTTY,
    columns,
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

const EXECUTION = { kind: 'Execution' } as const;
const ITERATION = { kind: 'Map', parent: 'Sync Each Project' } as const;

/** A daily run's changes: two projects synced, the second one's sync caught. */
const DAILY_CHANGES: StateChange[] = [
  { kind: 'started', machine: 0, scope: EXECUTION, input: {} },
  { kind: 'entered', machine: 0, scope: EXECUTION, state: 'Run or Skip?', type: 'Choice' },
  { kind: 'entered', machine: 0, scope: EXECUTION, state: 'Sync Each Project', type: 'Map', items: 2 },
  { kind: 'started', machine: 1, scope: ITERATION, input: { projectId: 'acme/api' } },
  { kind: 'started', machine: 2, scope: ITERATION, input: { projectId: 'acme/\u001B[31mweb' } },
  { kind: 'entered', machine: 1, scope: ITERATION, state: 'Sync Project', type: 'Task' },
  { kind: 'entered', machine: 2, scope: ITERATION, state: 'Sync Project', type: 'Task' },
  { kind: 'caught', machine: 2, scope: ITERATION, state: 'Sync Project' },
  { kind: 'ended', machine: 1, scope: ITERATION, outcome: 'Succeeded' },
  { kind: 'ended', machine: 2, scope: ITERATION, outcome: 'Succeeded' },
  { kind: 'entered', machine: 0, scope: EXECUTION, state: 'Clean Up Old Logs', type: 'Task' },
];

describe('progressModeOf', () => {
  it('updates one line on a terminal, writes plain lines elsewhere or with --verbose, and colours only a terminal without NO_COLOR', () => {
    expect(progressModeOf(streamOf(true, 120), { verbose: false, noColor: undefined })).toEqual({ live: true, color: true, width: 100 });
    expect(progressModeOf(streamOf(true, 72), { verbose: true, noColor: undefined })).toEqual({ live: false, color: true, width: 72 });
    expect(progressModeOf(streamOf(true, 0), { verbose: false, noColor: '1' })).toEqual({ live: true, color: false, width: 100 });
    // https://no-color.org: only a non-empty value turns colour off.
    expect(progressModeOf(streamOf(true), { verbose: false, noColor: '' }).color).toBe(true);
    expect(progressModeOf(streamOf(false), { verbose: false, noColor: undefined })).toEqual({ live: false, color: false, width: 100 });
  });
});

describe('JobProgress', () => {
  it('writes a plain line per step and per project, naming the job, the count and the project (made inert)', () => {
    const stream = streamOf(false);
    const progress = new JobProgress(new ProgressLines(stream, { live: false, color: false, width: 100 }), 'daily_sync', '(manual run)');

    for (const change of DAILY_CHANGES) progress.onStateChange(change);
    progress.finish(false, 'completed in 1.0 s, 10 records');

    expect(stream.text.split('\n')).toEqual([
      '▶ daily_sync (manual run)',
      '  → Sync Each Project (2 projects)',
      '  ⚠ daily_sync  Sync Project failed, caught (acme/web)',
      '  ✓ daily_sync  1/2 projects  acme/api',
      '  ✗ daily_sync  2/2 projects  acme/web: Sync Project failed',
      '  → Clean Up Old Logs',
      '✗ daily_sync  completed in 1.0 s, 10 records  2/2 projects, 1 failed',
      '',
    ]);
  });

  it('updates one line on a terminal, within the width, with no escape sequence under NO_COLOR, and leaves how the job ended', () => {
    const stream = streamOf(true, 40);
    const lines = new ProgressLines(stream, progressModeOf(stream, { verbose: false, noColor: '1' }));
    const progress = new JobProgress(lines, 'daily_sync', '(manual run)');

    for (const change of DAILY_CHANGES.slice(0, 6)) {
      progress.onStateChange(change);
      // Redraws are at most every 80 ms: wait them out, so each change is drawn.
      const until = performance.now() + 90;
      while (performance.now() < until);
    }
    progress.finish(true, 'completed in 1.0 s, 10 records');

    expect(stream.text).not.toContain('\u001B');
    const frames = stream.text.split(/[\r\n]/).map((frame) => frame.trimEnd());
    expect(frames).toContain('▶ daily_sync  Sync Each Project 0/2 pr…');
    expect(frames.every((frame) => [...frame].length <= 40)).toBe(true);
    expect(stream.text.endsWith('\r✓ daily_sync  completed in 1.0 s, 10 re…\n')).toBe(true);
  });
});
