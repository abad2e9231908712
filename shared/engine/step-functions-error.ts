/** Step Functions' own errors that come with an empty Cause, and what they mean. */
const MEANING_OF: Readonly<Record<string, string>> = {
  'States.Timeout': 'the state ran longer than its TimeoutSeconds',
};

/**
 * Turns a Step Functions error (a Catch's `{ Error, Cause }`, or an execution's `error`/`cause`) into a
 * name and a readable message. A Lambda function's error has a JSON Cause (`errorType`, `errorMessage`,
 * `trace`): only its message is kept, never the stack trace. Step Functions' own errors carry plain
 * text, or nothing (a task's States.Timeout).
 */
export function describeStepFunctionsError(error: { readonly Error: string; readonly Cause?: string }): {
  name: string;
  message: string;
} {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return { name: error.Error, message: parsed.errorMessage };
  } catch {
    // Not JSON: plain text.
  }
  // aws-local-stepfunctions puts the error's name where AWS leaves the Cause empty.
  if (cause === '' || cause === error.Error) return { name: error.Error, message: MEANING_OF[error.Error] ?? error.Error };
  return { name: error.Error, message: cause };
}

/** `<Name>: <message>`, as JobHistory summaries and SyncEvents show an error. */
export function formatStepFunctionsError(error: { readonly Error: string; readonly Cause?: string }): string {
  const { name, message } = describeStepFunctionsError(error);
  return `${name}: ${message}`;
}
