import type { SQSEvent } from 'aws-lambda';
import { bugRules, projectsStore, workItemsWriter } from '../../shared/dependencies.ts';
import { lambdaHandler } from '../../shared/handler.ts';
import { applyBatch } from '../../shared/webhooks/apply-batch.ts';

const deps = { projects: projectsStore(), items: workItemsWriter(), rules: bugRules() };

/** The webhook consumer (SQS event source, partial batch responses): applies queued deliveries to WorkItems. */
export const handler = lambdaHandler(async (event: SQSEvent) => applyBatch(deps, event.Records));
