import { engineStores, jobTimeoutMs } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { StartRunInputSchema, type StartRunOutput, startRun } from '../../shared/engine/start-run.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const stores = engineStores();
const lockTtlMs = jobTimeoutMs();

/** "Start Run": records the run and takes the overlap lock. */
export const handler = lambdaHandler(
  async (event: unknown): Promise<StartRunOutput> =>
    startRun(stores, parseInput(StartRunInputSchema, event), { now: new Date(), lockTtlMs }),
);
