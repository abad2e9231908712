import type { EventBridgeEvent } from 'aws-lambda';
import { engineStores } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import {
  ExecutionStatusChangeSchema,
  executionInputOf,
  type ReconcileOutput,
  reconcileExecution,
} from '../../shared/engine/reconcile-execution.ts';
import { lambdaHandler } from '../../shared/handler.ts';
import { logger } from '../../shared/logger.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const stores = engineStores();
const metrics = jobMetrics();

/** Target of the "Step Functions Execution Status Change" rule (FAILED, TIMED_OUT, ABORTED). */
export const handler = lambdaHandler(
  async (event: EventBridgeEvent<string, unknown>): Promise<ReconcileOutput> => {
    const output = await reconcileExecution(stores, parseInput(ExecutionStatusChangeSchema, event.detail), { now: new Date(), metrics });
    logger.info('execution reconciled', { ...output });
    return output;
  },
  { correlationSource: (event) => executionInputOf(event.detail) },
);
