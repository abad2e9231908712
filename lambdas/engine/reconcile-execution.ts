import type { EventBridgeEvent } from 'aws-lambda';
import { runTokenError } from '../../shared/daily/token-error.ts';
import { engineStores, projectsStore } from '../../shared/dependencies.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
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
const projects = projectsStore();
const metrics = jobMetrics();

/** A daily run's child executions fail when GitHub refuses the token: the run is closed with that error. */
const explain = async ({ runId, jobType }: { readonly runId: string; readonly jobType: string }) =>
  jobType === JOB_NAMES.daily ? runTokenError(projects, runId) : undefined;

/** Target of the "Step Functions Execution Status Change" rule (FAILED, TIMED_OUT, ABORTED). */
export const handler = lambdaHandler(
  async (event: EventBridgeEvent<string, unknown>): Promise<ReconcileOutput> => {
    const detail = parseInput(ExecutionStatusChangeSchema, event.detail);
    const output = await reconcileExecution(stores, detail, { now: new Date(), metrics, explain });
    logger.info('execution reconciled', { ...output });
    return output;
  },
  { correlationSource: (event) => executionInputOf(event.detail) },
);
