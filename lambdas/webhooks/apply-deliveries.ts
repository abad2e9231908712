import type { SQSEvent } from 'aws-lambda';
import { bugRules, projectsStore, syncEventsStore, workItemsWriter } from '../../shared/dependencies.ts';
import { lambdaHandler } from '../../shared/handler.ts';
import { applyDeliveries } from '../../shared/webhooks/apply-repository-changes.ts';

const deps = { projects: projectsStore(), items: workItemsWriter(), rules: bugRules(), events: syncEventsStore() };

/** The webhook consumer (SQS event source, partial batch responses): applies queued deliveries to WorkItems and projects. */
export const handler = lambdaHandler(async (event: SQSEvent) => applyDeliveries(deps, event.Records));
