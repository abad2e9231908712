/** Runs `work` on every item, at most `concurrency` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Projects whose records a step reads at once: enough to hide DynamoDB's latency, few enough not to throttle. */
export const PROJECT_READ_CONCURRENCY = 16;
