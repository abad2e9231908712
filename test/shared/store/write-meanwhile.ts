import { expect } from 'vitest';
import { documentClient } from '../../../shared/store/dynamo-client.ts';

/**
 * Runs `act`, with `meanwhile` landing just before the first write `act` sends reaches DynamoDB: another
 * writer (a daily run) between whatever `act` read and its write (a batch of writes counts as one).
 */
export async function withWriteMeanwhile<T>(meanwhile: () => Promise<unknown>, act: () => Promise<T>): Promise<T> {
  let armed = true;
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (armed && /^(Put|Update|Delete|BatchWrite)(Item)?Command$/.test(context.commandName ?? '')) {
        armed = false;
        await meanwhile();
      }
      return next(args);
    },
    { step: 'initialize', name: 'writeMeanwhile' },
  );
  try {
    const result = await act();
    expect(armed, 'the write meanwhile was made').toBe(false);
    return result;
  } finally {
    documentClient.middlewareStack.remove('writeMeanwhile');
  }
}
