import { describe, expect, it } from 'vitest';
import { columnsOf, runsTable, TABLE_WIDTH, table, terminalText, wrap } from '../../../lib/cli/format.ts';
import type { JobRun } from '../../../shared/domain/job-run.ts';
import { FORBIDDEN_IN_TEXT_ALTERNATIVE, HOSTILE_TITLES } from '../../support/hostile-text.ts';

const ESC = '\u001B';

describe('terminalText', () => {
  it.each([
    ['a colour (CSI)', `${ESC}[1;31mRED${ESC}[0m`, 'RED'],
    ['a screen clear and cursor move', `${ESC}[2J${ESC}[H${ESC}[10;20fhome`, 'home'],
    ['an 8-bit CSI', '\u009B31mred\u009B0m', 'red'],
    ['a hyperlink (OSC 8, ended by ST, then by BEL)', `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;\u0007`, 'click'],
    ['a window title (OSC 0, ended by ST)', `${ESC}]0;pwned${ESC}\\title`, 'title'],
    ['a reset and a character-set switch', `${ESC}cRe${ESC}(Bset`, 'Reset'],
    ['line breaks and a NUL', 'one\ntwo\r\n\u0000three', 'one two three'],
    ['a right-to-left override', 'invoice\u202Egnp.exe', 'invoicegnp.exe'],
  ])('removes %s whole', (_, text, expected) => {
    expect(terminalText(text)).toBe(expected);
  });

  it('keeps long text whole unless asked to cut it', () => {
    expect(terminalText('A'.repeat(10_000))).toHaveLength(10_000);
    expect(terminalText('A'.repeat(10_000), 20)).toBe(`${'A'.repeat(19)}…`);
  });
});

describe('table', () => {
  it('shows hostile cells as one inert line each, the rows still aligned', () => {
    const rows = HOSTILE_TITLES.map((title, index) => [`acme/repo-${index}`, `${ESC}[31m${title}${ESC}[0m`]);

    const lines = table(['project', 'name'], rows).split('\n');

    expect(lines).toHaveLength(HOSTILE_TITLES.length + 2);
    expect(lines.join('\n')).not.toMatch(FORBIDDEN_IN_TEXT_ALTERNATIVE);
    expect(lines.join('\n')).not.toContain('[31m');
    expect(lines[9]).toBe(`acme/repo-7   line one FAKE: RESOLVED all alerts bell`);
    const nameColumn = lines[0]!.indexOf('name');
    expect(lines.slice(2).every((line) => /\S/.test(line[nameColumn] ?? '') && line[nameColumn - 1] === ' ')).toBe(true);
  });
});

describe('table within 100 columns', () => {
  it("cuts the flexible column to fit, wraps each row's detail under it (3 lines at most) and the legend under the table", () => {
    const rows = [['acme/api', 'x'.repeat(300), 'ok']];

    const lines = table(['project', 'note', 'status'], rows, {
      flexible: 1,
      details: [`${'word '.repeat(200)}end`],
      legend: `${'legend '.repeat(30)}end`,
    }).split('\n');

    expect(lines.every((line) => [...line].length <= TABLE_WIDTH)).toBe(true);
    expect(lines[2]).toMatch(/^acme\/api {2}x+… {2}ok$/);
    expect(lines[0]).toHaveLength(TABLE_WIDTH);
    expect(lines.slice(3, 6).every((line) => line.startsWith('  word'))).toBe(true);
    expect(lines[5]).toMatch(/…$/);
    expect(lines.slice(6).join(' ')).toBe(`${'legend '.repeat(30)}end`);
  });

  it("shows a run's scheduled time to the second and its summary under it, and explains its columns", () => {
    const run = {
      jobType: 'daily_sync',
      trigger: 'schedule',
      scheduledTime: '2026-11-28T02:00:00.000Z',
      status: 'completed',
      durationMs: 1234,
      attempts: 1,
      recordsProcessed: 852,
      recordsFailed: 0,
      summary: 'sync: 5 of 5 project(s) synced',
    } as JobRun;

    const lines = runsTable([run]).split('\n');

    expect(lines[2]).toMatch(/^daily_sync +schedule +2026-11-28T02:00:00Z +completed +1\.2 s +1 +852 +0$/);
    expect(lines[3]).toBe('  sync: 5 of 5 project(s) synced');
    expect(lines.slice(4).join(' ')).toMatch(/^attempts: .* records: items the steps handled .* --json has the full notes\.$/);
  });
});

describe('columnsOf', () => {
  it('counts an emoji shown as one and an East Asian wide character as two columns, a cluster as one character', () => {
    expect(columnsOf('abc')).toBe(3);
    expect(columnsOf('🔥')).toBe(2);
    expect(columnsOf('👩‍👩‍👧‍👦')).toBe(2);
    expect(columnsOf('🇩🇪')).toBe(2);
    expect(columnsOf('日本')).toBe(4);
    expect(columnsOf('▶ ✓ → …')).toBe(7);
  });

  it('keeps a table of hostile titles (emoji, 10,000 characters) within 100 columns as a terminal shows them', () => {
    const lines = table(
      ['project', 'title', 'value'],
      HOSTILE_TITLES.map((title, index) => [`acme/repo-${index}`, title, '$1,000/day']),
      { flexible: 1 },
    ).split('\n');

    expect(lines.map(columnsOf).filter((columns) => columns > TABLE_WIDTH)).toEqual([]);
    expect(lines.every((line) => line.endsWith('$1,000/day') || line.startsWith('project') || line.startsWith('-'))).toBe(true);
  });
});

describe('wrap', () => {
  it('breaks at spaces within the width, cuts a longer word, and ends with … when lines are left out', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('x'.repeat(12), 5)).toEqual(['xxxx…']);
    expect(wrap('one two three four', 8, 1)).toEqual(['one two…']);
  });
});
