import { ENV, requirePositiveInt } from '../../shared/environment.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { startRun, StartRunInputSchema, type StartRunOutput } from '../../shared/engine/start-run.ts';
import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';

const stores = engineStoresFromEnvironment();
const lockTtlMs = requirePositiveInt(ENV.jobTimeoutSeconds) * 1000;

/** "Start Run": records the run and takes the overlap lock. */
export const handler = async (event: unknown): Promise<StartRunOutput> =>
  startRun(stores, parseInput(StartRunInputSchema, event), { now: new Date(), lockTtlMs });
