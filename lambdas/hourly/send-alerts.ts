import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { alertChannelsFromEnvironment, alertsStoreFromEnvironment, deliveryRetryFromEnvironment } from '../../shared/hourly/dependencies.ts';
import { sendAlerts } from '../../shared/hourly/steps.ts';

const deps = {
  alerts: alertsStoreFromEnvironment(),
  events: syncEventsStoreFromEnvironment(),
  channels: alertChannelsFromEnvironment(),
  retry: deliveryRetryFromEnvironment(),
};

/** "Send Alerts": the run's notification, once per channel. */
export const handler = workStepHandler((input) => sendAlerts(deps, input));
