import { describe, expect, it } from 'vitest';
import { table, terminalText } from '../../../lib/cli/format.ts';
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
