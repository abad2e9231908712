/**
 * `npm run bench:cli`: a read-only command (`cto-jobs history`) end to end, as a user runs it (a new Node process),
 * timed two ways in the same run: as before the template was kept (its kept template deleted before each call, so
 * the stack is synthesized) and with the kept template. Prints a Markdown table against the targets
 * (<= 1.5 s, >= 5x faster).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { TEMPLATE_CACHE_DIRECTORY, templateKey } from '../../lib/local/template-cache.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { runScript } from '../support/cli.ts';

const CALLS = 5;
const MAX_KEPT_MS = 1500;
const MIN_SPEEDUP = 5;
const COMMAND = ['history', '--limit', '5'];

/** The kept template the CLI would use now (its key follows the sources, which may change while the bench runs). */
const keptTemplateFile = () => path.join(TEMPLATE_CACHE_DIRECTORY, `${templateKey(readCdkContext(PROJECT_ROOT), new Date())}.json`);

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-bench-cli-'));

async function timedCall(): Promise<number> {
  const started = performance.now();
  const result = await runScript('cto-jobs.ts', COMMAND, { CTO_JOBS_HOME: home });
  const elapsed = performance.now() - started;
  if (result.code !== 0) throw new Error(`cto-jobs ${COMMAND.join(' ')} exited ${result.code}: ${result.stderr}`);
  return elapsed;
}

try {
  // Untimed: creates the local tables, so every timed call reads the same (empty) JobHistory.
  await timedCall();
  const synthesizedTimes: number[] = [];
  const keptTimes: number[] = [];
  // Interleaved, so a change in the machine's load falls on both columns alike.
  for (let call = 0; call < CALLS; call++) {
    fs.rmSync(keptTemplateFile(), { force: true });
    synthesizedTimes.push(await timedCall());
    // Another edit to the sources since the last call means a new key: keep its template first, untimed.
    if (!fs.existsSync(keptTemplateFile())) await timedCall();
    keptTimes.push(await timedCall());
  }
  const [synthesizedMs, keptMs] = [median(synthesizedTimes), median(keptTimes)];
  const speedup = synthesizedMs / keptMs;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`\n### Read-only command: \`cto-jobs ${COMMAND.join(' ')}\`, a new process per call, median of ${CALLS}\n`);
  console.log(`| synthesized every call (before) | kept template (now) | <= ${MAX_KEPT_MS / 1000} s | speedup | >= ${MIN_SPEEDUP}x |`);
  console.log('|---:|---:|:---:|---:|:---:|');
  console.log(
    `| ${seconds(synthesizedMs)} | ${seconds(keptMs)} | ${keptMs <= MAX_KEPT_MS ? 'yes' : 'no'} | ` +
      `${speedup.toFixed(1)}x | ${speedup >= MIN_SPEEDUP ? 'yes' : 'no'} |`,
  );
  console.log(`\nEach call: ${synthesizedTimes.map(seconds).join(', ')} (before); ${keptTimes.map(seconds).join(', ')} (now).`);
  console.log(
    `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.versions.node}, ${new Date().toISOString()}.`,
  );
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
