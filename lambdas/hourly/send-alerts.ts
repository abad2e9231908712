import { alertChannels, alertsStore, deliveryRetry, syncEventsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { sendAlerts } from '../../shared/hourly/steps.ts';

const deps = { alerts: alertsStore(), events: syncEventsStore(), channels: alertChannels(), retry: deliveryRetry() };

/** "Send Alerts": the run's notification, once per channel. */
export const handler = workStepHandler((input) => sendAlerts(deps, input));
