import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../../lib/cli/arguments.ts';

describe('parseCommandLine', () => {
  it('takes --purge on projects remove, and leaves it false when not given', () => {
    const purged = parseCommandLine(['projects', 'remove', 'acme/web', '--purge']);
    const kept = parseCommandLine(['projects', 'remove', 'acme/web']);

    expect(purged).toMatchObject({ help: false, command: 'projects', positionals: ['remove', 'acme/web'], values: { purge: true } });
    expect(kept).toMatchObject({ values: { purge: false } });
  });

  it('refuses --purge on a command that does not take it, naming the options allowed', () => {
    expect(() => parseCommandLine(['status', '--purge'])).toThrow(UsageError);
    expect(() => parseCommandLine(['status', '--purge'])).toThrow(
      'unknown option "--purge" for status (options: --json, --html, --aws, --help)',
    );
  });

  it('takes the health command with --json and --aws, and no argument', () => {
    expect(parseCommandLine(['health', '--json', '--aws'])).toMatchObject({ command: 'health', values: { json: true, aws: true } });
    expect(() => parseCommandLine(['health', 'acme/web'])).toThrow('health takes no argument, got "acme/web" too');
  });
});
