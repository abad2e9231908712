import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build, transform } from 'esbuild';
import { buildApp } from '../../lib/app.ts';
import { ESM_REQUIRE_BANNER } from '../../lib/constructs/job-function.ts';
import {
  type CfnTemplate,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalFunction,
  type LocalStack,
  readLocalStack,
} from '../../lib/local/template.ts';
import { STACK_ID } from '../../lib/project.ts';

/** A function of the synthesized stack with the asset `cdk deploy` uploads as its code. */
export interface BundledFunction extends LocalFunction {
  /** The asset directory the function's zip is made of (its `/var/task`). */
  readonly directory: string;
  /** The file and export the template's `Handler` names (`index.handler`: `index.mjs`, `.js` or `.cjs`, as Lambda looks). */
  readonly file: string;
  readonly exportName: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export interface BundledStack {
  readonly stack: LocalStack;
  readonly functions: readonly BundledFunction[];
  readonly synthMs: number;
}

interface AssetManifest {
  readonly files: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
}

/** A new folder in the OS temporary directory, outside the project: no `node_modules` above it. */
export function bundleFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-bundles-'));
}

/** The file Lambda's Node.js runtime loads for a handler module name: the first of `.js`, `.mjs`, `.cjs` there. */
function handlerFile(directory: string, module: string): string {
  const file = ['.js', '.mjs', '.cjs']
    .map((extension) => path.join(directory, module + extension))
    .find((candidate) => fs.existsSync(candidate));
  if (!file) throw new Error(`${directory}: no ${module}.js, .mjs or .cjs`);
  return file;
}

/**
 * Synthesizes the stack with its assets bundled as `cdk synth` bundles them (esbuild, locally), into
 * `outdir` (from {@link bundleFolder}: nothing but the bundle itself can satisfy an import there).
 */
export function synthesizeBundled(outdir: string, context: Record<string, unknown>, now: Date): BundledStack {
  const started = Date.now();
  const { app } = buildApp({ outdir, now, context });
  const template = app.synth().getStackByName(STACK_ID).template as CfnTemplate & {
    Resources: Record<string, { Properties?: Record<string, unknown> }>;
  };
  const synthMs = Date.now() - started;

  // The assets manifest says which directory becomes which S3 object, i.e. which code each function runs.
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK_ID}.assets.json`), 'utf8')) as AssetManifest;
  const directoryOfKey = new Map(
    Object.values(manifest.files).flatMap((asset) =>
      Object.values(asset.destinations).map((destination) => [destination.objectKey, path.join(outdir, asset.source.path)] as const),
    ),
  );
  const stack = readLocalStack(template);
  const functions = [...stack.functions.values()].map((fn): BundledFunction => {
    const properties = template.Resources[fn.logicalId]!.Properties as {
      Code: { S3Key: string };
      Handler: string;
      MemorySize: number;
      Timeout: number;
    };
    const directory = directoryOfKey.get(properties.Code.S3Key);
    if (!directory) throw new Error(`${fn.logicalId}: no asset uploads ${properties.Code.S3Key}`);
    const [module, exportName] = properties.Handler.split('.') as [string, string];
    return {
      ...fn,
      directory,
      file: handlerFile(directory, module),
      exportName,
      memorySize: properties.MemorySize,
      timeoutSeconds: properties.Timeout,
    };
  });
  return { stack, functions, synthMs };
}

export interface BundleImports {
  /** Every module the bundle imports or `require()`s as it loads or runs, by a literal name. */
  readonly modules: readonly string[];
  /** Modules the bundle only loads on demand, by `import("name")`. */
  readonly lazyModules: readonly string[];
  /** `require()` calls whose argument is computed at run time (esbuild cannot know what they load). */
  readonly computedRequires: number;
}

/**
 * How esbuild's ES module output calls `require` (through a shim it defines, whose minified name varies):
 * `var Xe=(e=>typeof require<"u"?require:...)(function(e){...'Dynamic require of "'...})`.
 */
const REQUIRE_SHIM = /([\w$]+)=\([\w$]+=>typeof require<"u"\?require:/;

/**
 * What each bundle loads from outside itself, read by esbuild's parser (so a `require("x")` inside a
 * string does not count). Bundling them again with every package left external lists each literal
 * `import`/`import()` in the metafile (one build: esbuild spreads the bundles over the cores). `require()`
 * calls, made through esbuild's shim or the banner's `require`, are found by freeing both names (the shim's
 * declaration renamed, the banner cut) and renaming them to a probe, whose calls are then read.
 * @throws Error when the bundle has a `require` shim of a shape this does not recognize.
 */
export async function importsOf(files: readonly string[]): Promise<Map<string, BundleImports>> {
  const result = await build({
    entryPoints: [...files],
    bundle: true,
    write: false,
    outdir: os.tmpdir(),
    platform: 'node',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const imports = new Map<string, BundleImports>();
  await Promise.all(
    files.map(async (file) => {
      const input = result.metafile!.inputs[path.relative(process.cwd(), file)]!;
      const { code, shim } = freeRequireNames(file);
      const probed = await transform(code, {
        loader: 'js',
        define: { require: '__requireProbe', ...(shim && { [shim]: '__requireProbe' }) },
      });
      const required = [...probed.code.matchAll(/__requireProbe\("([^"]+)"\)/g)].map((match) => match[1]!);
      const importedBy = (kind: string) => input.imports.filter((entry) => entry.kind === kind).map((entry) => entry.path);
      imports.set(file, {
        modules: [...new Set([...importedBy('import-statement'), ...importedBy('require-call'), ...required])].sort(),
        lazyModules: [...new Set(importedBy('dynamic-import'))].sort(),
        computedRequires: probed.code.match(/__requireProbe\((?!")/g)?.length ?? 0,
      });
    }),
  );
  return imports;
}

/**
 * The bundle's code with `require` and esbuild's require shim as free names (the banner cut, the shim's
 * declaration renamed), and the shim's name.
 */
function freeRequireNames(file: string): { code: string; shim?: string } {
  const bundle = fs.readFileSync(file, 'utf8');
  const code = bundle.startsWith(ESM_REQUIRE_BANNER) ? bundle.slice(ESM_REQUIRE_BANNER.length) : bundle;
  const shim = REQUIRE_SHIM.exec(code)?.[1];
  if (shim) return { code: code.replace(REQUIRE_SHIM, (declaration) => declaration.replace(`${shim}=`, '__unusedShim=')), shim };
  if (code.includes('Dynamic require of "')) throw new Error(`${file}: esbuild's require shim has a shape REQUIRE_SHIM does not match`);
  return { code };
}

/** Where the deployed function's AWS clients are pointed at instead of AWS. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly ses: string;
  readonly sns: string;
  readonly secretsManager: string;
}

/**
 * The environment a function's process has in Lambda: the variables the template gives it, the ones
 * Lambda itself sets (region, function name, memory, task root, `TZ`, temporary credentials), and the
 * endpoint overrides that send its AWS SDK calls to the local stand-ins. Nothing from the test process.
 */
export function lambdaEnvironment(fn: BundledFunction, endpoints: LocalEndpoints): Record<string, string> {
  return {
    ...fn.environment,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: fn.directory,
    _HANDLER: `${path.parse(fn.file).name}.${fn.exportName}`,
    TZ: ':UTC',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SES: endpoints.ses,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    // This machine runs Node 20; Lambda runs the nodejs24.x runtime. The SDK would warn about 20 on every load.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export interface Invocation {
  /** `load`: the bundle was only loaded, or loading it failed; `invoke`: the handler ran (and returned or threw). */
  readonly phase: 'load' | 'invoke';
  readonly result?: unknown;
  /** Whether the result is plain JSON (what Lambda hands Step Functions without loss). */
  readonly plain?: boolean;
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs in the child: loads the bundle as Lambda's Node.js runtime does (`import()` of an ES module
 * `index.mjs`, `require` of a CommonJS `index.js`), calls the handler once with the event and a Lambda-like
 * context, and writes the outcome to file descriptor 3 (stdout carries the function's own logs and EMF metrics).
 */
const RUNNER = `
const { writeSync } = require('node:fs');
const [file, exportName, eventJson, timeoutMs] = process.argv.slice(1);
const report = (outcome) => { writeSync(3, JSON.stringify(outcome)); process.exit(0); };
const describe = (error) => ({ name: error?.name ?? typeof error, message: error?.message ?? String(error), stack: error?.stack });
const isPlain = (value) =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ||
  (Array.isArray(value)
    ? value.every(isPlain)
    : typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isPlain));
const load = () => (file.endsWith('.mjs') ? import(require('node:url').pathToFileURL(file).href) : require(file));
Promise.resolve().then(load).then((module) => invoke(module[exportName]), (error) => report({ phase: 'load', error: describe(error) }));
function invoke(handler) {
  if (typeof handler !== 'function') {
    report({ phase: 'load', error: { name: 'TypeError', message: exportName + ' is not an exported function' } });
  }
  if (eventJson === undefined) report({ phase: 'load' });
  const deadline = Date.now() + Number(timeoutMs);
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':${LOCAL_ACCOUNT}:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: 'bundle-test',
    awsRequestId: 'bundle-test-request',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  Promise.resolve()
    .then(() => handler(JSON.parse(eventJson), context))
    .then(
      (result) => report({ phase: 'invoke', result, plain: isPlain(result) }),
      (error) => report({ phase: 'invoke', error: describe(error) }),
    );
}
`;

/**
 * Loads a function's bundle in a fresh Node process whose environment is exactly `environment` and whose
 * working directory is the bundle's (as `/var/task` is), then invokes its handler once with `event` (only
 * loads it when there is no event). The process is killed at the function's timeout.
 */
export function invokeBundle(fn: BundledFunction, environment: Readonly<Record<string, string>>, event?: unknown): Promise<Invocation> {
  const started = Date.now();
  const invocation = event === undefined ? [] : [JSON.stringify(event), String(fn.timeoutSeconds * 1000)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', RUNNER, fn.file, fn.exportName, ...invocation], {
      cwd: fn.directory,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    // The function's own timeout, as Lambda would end it.
    const timer = setTimeout(() => child.kill('SIGKILL'), fn.timeoutSeconds * 1000);
    let stdout = '';
    let stderr = '';
    let outcome = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (outcome += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!outcome)
        return reject(new Error(`${fn.entry}: the process ended (code ${code}, signal ${signal}) without an outcome\n${stderr}`));
      resolve({
        ...(JSON.parse(outcome) as Pick<Invocation, 'phase' | 'result' | 'plain' | 'error'>),
        stdout,
        stderr,
        ms: Date.now() - started,
      });
    });
  });
}

/** Runs `task`s at most `size` at a time. */
export function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
