import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeEach } from 'vitest';
import { LocalRuntime, type LocalRuntimeOptions, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { lambdaContext } from './lambda-context.ts';

/**
 * A local runtime over the project's cdk.json context, with an in-memory DynamoDB. On-call alerts go to a
 * temporary alerts file unless `alertsFile: undefined` is passed (tests that stub the SNS client).
 */
export async function startTestRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-test-alerts-'));
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
  return LocalRuntime.start({ context: readCdkContext(PROJECT_ROOT), alertsFile: path.join(directory, 'alerts.jsonl'), ...options });
}

/**
 * For a handler's own tests (call with top-level await): a runtime, which sets the environment the handler
 * reads at load (table names, the dynalite endpoint), and the handler of `entry` (relative to the project
 * root), invoked with a Lambda-like context; the tables are emptied before each test.
 */
export async function useHandler(entry: string): Promise<{ runtime: LocalRuntime; handler: (event: unknown) => Promise<unknown> }> {
  const runtime = await startTestRuntime();
  afterAll(() => runtime.close());
  beforeEach(() => runtime.reset());
  const { handler } = (await import(path.join(PROJECT_ROOT, entry))) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return { runtime, handler: (event) => handler(event, lambdaContext()) };
}

/** An error named as Step Functions would see it (Retry/Catch match on the name). */
export function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
