/**
 * Turns a Step Functions error (a Catch's `{ Error, Cause }`, or an execution's `error`/`cause`) into a
 * name and a readable message. A Lambda error's Cause is a JSON document with errorType/errorMessage.
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
    // Not JSON: Step Functions' own errors (States.Timeout, ...) carry plain text.
  }
  return { name: error.Error, message: cause || error.Error };
}
