import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/job-function.ts';
import { LocalRuntime, readCdkContext, type LocalRuntimeOptions } from '../../lib/local/runtime.ts';

/**
 * A local runtime over the project's cdk.json context, with an in-memory DynamoDB. On-call alerts go to a
 * temporary alerts file unless `alertsFile: undefined` is passed (tests that stub the SNS client).
 */
export async function startTestRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-test-alerts-'));
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
  return LocalRuntime.start({ context: readCdkContext(PROJECT_ROOT), alertsFile: path.join(directory, 'alerts.jsonl'), ...options });
}

/** An error named as Step Functions would see it (Retry/Catch match on the name). */
export function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
