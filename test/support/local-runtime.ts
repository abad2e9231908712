import { PROJECT_ROOT } from '../../lib/constructs/job-function.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';

/** A local runtime over the project's cdk.json context, with an in-memory DynamoDB. */
export async function startTestRuntime(): Promise<LocalRuntime> {
  return LocalRuntime.start({ context: readCdkContext(PROJECT_ROOT) });
}

/** An error named as Step Functions would see it (Retry/Catch match on the name). */
export function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
