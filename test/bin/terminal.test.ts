/**
 * What the engineer who runs `npm start` sees: `cto-jobs run all` (as package.json's start script runs it) under a
 * pseudo-terminal (util-linux `script`), then with stderr a pipe. The stack is synthesized in the first run (its kept
 * template deleted), so the first line is seen to come before the synthesis ends.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCdkContext, withDemoWebhooks } from '../../lib/local/runtime.ts';
import { TEMPLATE_CACHE_DIRECTORY, templateKey } from '../../lib/local/template-cache.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { runScript } from '../support/cli.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-terminal-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const WIDTH = 100;
const DEMO_PROJECTS = [
  'acme-demo/checkout-api',
  'acme-demo/web-storefront',
  'acme-demo/mobile-app',
  'acme-demo/data-pipeline',
  'acme-demo/auth-service',
];
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences a terminal receives.
const ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]/g;

/** A chunk of the terminal's output and when the test received it. */
interface Chunk {
  readonly at: number;
  readonly text: string;
}

/** Runs `cto-jobs run all` in a pseudo-terminal 100 columns wide; resolves with its output as it arrived. */
function runAllInTerminal(): Promise<{ code: number | null; chunks: Chunk[] }> {
  const command = `stty cols ${WIDTH} rows 50 && exec ${process.execPath} --import tsx --import ./bin/polyfills.ts bin/cto-jobs.ts run all`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CTO_JOBS_HOME: home, NO_COLOR: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Chunk[] = [];
    child.stdout.on('data', (data: Buffer) => chunks.push({ at: performance.now(), text: data.toString() }));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, chunks }));
  });
}

/** When the text first contained `marker`: the arrival of the chunk that completed it. */
function arrivalOf(chunks: readonly Chunk[], marker: string): number {
  let text = '';
  for (const chunk of chunks) {
    text += chunk.text;
    if (text.includes(marker)) return chunk.at;
  }
  throw new Error(`the terminal never showed ${JSON.stringify(marker)}`);
}

/** The lines left on the screen: colours removed, each carriage return's redraw written over the line (as a terminal does). */
function finalScreen(raw: string): string[] {
  return raw
    .replace(ESCAPES, '')
    .split(/\r?\n/)
    .map((line) => {
      const cells: string[] = [];
      let column = 0;
      for (const character of line) {
        if (character === '\r') column = 0;
        else cells[column++] = character;
      }
      return cells.join('').trimEnd();
    });
}

const columnsOf = (line: string) => [...line].length;

describe('npm start in a terminal', () => {
  it('says what it does within the first line, before the synthesis ends; then one line per job naming the projects, all within 100 columns', async () => {
    expect(execFileSync('which', ['script']).toString()).toMatch(/script/);
    const packageJson = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
    expect(packageJson.scripts.start).toContain('bin/cto-jobs.ts run all');
    // The stack is synthesized, as after any change of the sources: the kept template of the demo's run is deleted.
    const demoContext = withDemoWebhooks(readCdkContext(PROJECT_ROOT));
    fs.rmSync(path.join(TEMPLATE_CACHE_DIRECTORY, `${templateKey(demoContext, new Date())}.json`), { force: true });

    const { code, chunks } = await runAllInTerminal();

    expect(code).toBe(0);
    const raw = chunks.map((chunk) => chunk.text).join('');
    const firstLine = arrivalOf(chunks, 'cto-jobs run all: starting the local stack');
    expect(raw.replace(ESCAPES, '').trimStart()).toMatch(/^cto-jobs run all: starting the local stack/);
    const synthesized = arrivalOf(chunks, 'synthesized the stack in');
    const synthesisMs = Number(/synthesized the stack in ([\d.]+) s/.exec(raw)![1]) * 1000;
    // The first line came before the synthesis began: the synthesis's own duration (less its rounding) separates them.
    expect(synthesized - firstLine).toBeGreaterThanOrEqual(synthesisMs - 100);
    expect(arrivalOf(chunks, 'synthesizing the stack')).toBeLessThan(synthesized);

    const screen = finalScreen(raw);
    const tooWide = screen.filter((line) => columnsOf(line) > WIDTH);
    expect(tooWide).toEqual([]);
    // One line left per job, saying how it ended; the daily one counts the projects.
    expect(screen).toContainEqual(expect.stringMatching(/^✓ daily_sync {2}completed in [\d.]+ s, \d+ records {2}5\/5 projects$/));
    expect(screen).toContainEqual(expect.stringMatching(/^✓ hourly_metrics {2}completed in /));
    expect(screen).toContainEqual(expect.stringMatching(/^✓ weekly_report {2}completed in /));
    expect(screen.filter((line) => line.startsWith('▶'))).toEqual([]);
    // While it synced, the live line named the project in hand and the count.
    const frames = raw.replace(ESCAPES, '').split(/[\r\n]/);
    const syncing = frames.filter((frame) => /^▶ daily_sync {2}Sync Each Project \d\/5 projects {2}acme-demo\//.test(frame));
    expect(syncing.length).toBeGreaterThan(0);
    expect(syncing.some((frame) => DEMO_PROJECTS.some((project) => frame.includes(project)))).toBe(true);
    // The run table explains its columns.
    expect(screen).toContainEqual(expect.stringMatching(/^attempts: the most tries one step needed\. records: /));
    // Colour on a terminal: the finished jobs in green.
    expect(raw).toContain('\u001B[32m✓ daily_sync');
  }, 240_000);

  it('writes plain lines, one per step naming the job and each project, when stderr is not a terminal', async () => {
    const { code, stdout, stderr } = await runScript('cto-jobs.ts', ['run', 'all'], { CTO_JOBS_HOME: home });

    expect(code).toBe(0);
    expect(stderr).not.toContain('\r');
    expect(stderr).not.toContain('\u001B');
    const lines = `${stderr}${stdout}`.split('\n');
    expect(lines.filter((line) => columnsOf(line) > WIDTH)).toEqual([]);
    // The template the first run kept, unless a source changed since (then it is synthesized again).
    expect(stderr).toMatch(
      /^cto-jobs run all: starting the local stack…\n(using the stack template kept from an earlier synthesis|synthesizing the stack .*\nsynthesized the stack in [\d.]+ s)\n/,
    );
    // The projects are synced in child executions: one count across them, and no line for a child's own steps.
    expect(stderr).toContain('▶ daily_sync (manual run)\n  → Start Run\n  → List Projects\n  → Sync Each Project\n');
    for (const project of DEMO_PROJECTS) expect(stderr).toMatch(new RegExp(`\n {2}✓ daily_sync {2}[1-5]/5 projects {2}${project}\n`));
    expect(stderr).not.toContain('List Batch Projects');
    expect(stderr).toContain('  ✓ daily_sync  5/5 projects  ');
    // A Choice decides and does nothing: no line for it.
    expect(stderr).not.toContain('Run or Skip?');
    expect(stderr).toMatch(/\n✓ weekly_report {2}completed in [\d.]+ s, \d+ records\n/);
  }, 240_000);
});
