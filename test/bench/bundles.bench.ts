/**
 * `npm run bench`: each function's bundle as deployed before the ES module change beside the bundle `cdk synth`
 * makes today, both built in the same run from today's sources. Before: CommonJS with the whole SDK, the esbuild
 * options `NodejsFunction` ran for `{ minify, sourceMap, bundleAwsSDK, target: 'node24' }` (reproduced here), the
 * project's modules taken as having side effects (package.json had no `sideEffects` field then), and
 * `NODE_OPTIONS=--enable-source-maps` as the functions had it. Now: the asset and environment the template gives.
 * Printed: size, and the median of five loads, each in a fresh `node` process with the function's environment,
 * alternating old and new so that the machine's noise falls on both. A load is the bundle's `import()` (or
 * `require()`) as timed inside the process: Node's own start, the same for both, is not counted. Both live in a
 * temporary folder with no `node_modules` above it (the SDK is bundled in both). Prints a Markdown table with
 * the targets checked: every bundle <= 300 KB, loading in <= 40% of the old bundle's time.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { type BundledFunction, bundleFolder, lambdaEnvironment, synthesizeBundled } from '../support/bundles.ts';

const LOADS = 5;
const MAX_KB = 300;
const MAX_LOAD_RATIO = 0.4;

/** Runs in the child: loads the bundle as Lambda's runtime does and prints how long that took, in ms. */
const LOADER = `
const file = process.argv[1];
const started = performance.now();
const loaded = file.endsWith('.mjs') ? import(require('node:url').pathToFileURL(file).href) : Promise.resolve().then(() => require(file));
loaded.then(() => { process.stdout.write(String(performance.now() - started)); process.exit(0); });
`;

/** One load of `file` in a fresh Node process whose environment is exactly `environment`. */
function loadMs(file: string, environment: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOADER, file], { cwd: path.dirname(file), env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Number(stdout)) : reject(new Error(`${file} did not load (code ${code})\n${stderr}`)),
    );
  });
}

/** Marks the resolutions this plugin asks esbuild for itself, so that it does not intercept them again. */
const RESOLVING = Symbol('resolving');

/**
 * The project's own modules as having side effects, whatever package.json says: before `"sideEffects": false`,
 * esbuild kept every project module a handler imported, used or not.
 */
const projectModulesWithSideEffects: Plugin = {
  name: 'project-modules-with-side-effects',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\./ }, async ({ path: specifier, pluginData, ...args }) => {
      if (pluginData === RESOLVING) return undefined;
      const resolved = await esbuild.resolve(specifier, { ...args, pluginData: RESOLVING });
      if (resolved.errors.length > 0 || resolved.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return { path: resolved.path, sideEffects: true };
    });
  },
};

/** The bundle as `NodejsFunction` built it before: `esbuild --bundle --target=node24 --platform=node --minify --sourcemap`. */
async function buildAsBefore(fn: BundledFunction, outdir: string): Promise<string> {
  const outfile = path.join(outdir, 'before', fn.logicalId, 'index.js');
  await build({
    entryPoints: [path.join(PROJECT_ROOT, fn.entry)],
    bundle: true,
    target: 'node24',
    platform: 'node',
    outfile,
    minify: true,
    sourcemap: true,
    plugins: [projectModulesWithSideEffects],
    logLevel: 'warning',
  });
  return outfile;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const kb = (file: string) => fs.statSync(file).size / 1024;

const outdir = bundleFolder();
try {
  const { functions } = synthesizeBundled(outdir, readCdkContext(PROJECT_ROOT), new Date());
  const before = await Promise.all(functions.map((fn) => buildAsBefore(fn, outdir)));
  // Nothing is called: the loopback endpoints only have to be well-formed.
  const endpoints = {
    dynamodb: 'http://127.0.0.1:9',
    ses: 'http://127.0.0.1:9',
    sns: 'http://127.0.0.1:9',
    secretsManager: 'http://127.0.0.1:9',
  };
  const rows: string[] = [];
  let met = 0;
  for (const [index, fn] of functions.entries()) {
    const environment = lambdaEnvironment(fn, endpoints);
    const environmentBefore = { ...environment, NODE_OPTIONS: '--enable-source-maps' };
    const oldTimes: number[] = [];
    const newTimes: number[] = [];
    for (let load = 0; load < LOADS; load++) {
      oldTimes.push(await loadMs(before[index]!, environmentBefore));
      newTimes.push(await loadMs(fn.file, environment));
    }
    const [oldKb, newKb, oldMs, newMs] = [kb(before[index]!), kb(fn.file), median(oldTimes), median(newTimes)];
    const sizeMet = newKb <= MAX_KB;
    const loadMet = newMs <= MAX_LOAD_RATIO * oldMs;
    if (sizeMet && loadMet) met++;
    const cells = [
      `\`${fn.entry}\``,
      `${oldKb.toFixed(0)} KB`,
      `${oldMs.toFixed(0)} ms`,
      `${newKb.toFixed(0)} KB`,
      `${newMs.toFixed(0)} ms`,
      `${sizeMet ? 'yes' : 'no'}`,
      `${((newMs / oldMs) * 100).toFixed(0)}% ${loadMet ? 'yes' : 'no'}`,
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  console.log(`\n### Bundles: CommonJS with the whole SDK (before) and ES modules, tree-shaken (now), median of ${LOADS} loads\n`);
  console.log(`| function | before | load | now | load | <= ${MAX_KB} KB | <= ${MAX_LOAD_RATIO * 100}% of before |`);
  console.log('|---|---:|---:|---:|---:|:---:|---:|');
  console.log(rows.join('\n'));
  console.log(`\n${met} of ${functions.length} bundles meet both targets (Node ${process.versions.node}, ${new Date().toISOString()}).`);
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
