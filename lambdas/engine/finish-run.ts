import { engineStores } from '../../shared/dependencies.ts';
import { FinishRunInputSchema, type FinishRunOutput, finishRun } from '../../shared/engine/finish-run.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const stores = engineStores();
const metrics = jobMetrics();

/** "Record Success" and "Record Failure": writes the run's outcome and releases its lock. */
export const handler = lambdaHandler(
  async (event: unknown): Promise<FinishRunOutput> =>
    finishRun(stores, parseInput(FinishRunInputSchema, event), { now: new Date(), metrics }),
);
