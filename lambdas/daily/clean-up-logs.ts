import { cleanUpLogs } from '../../shared/daily/clean-up-logs.ts';
import { ENV, requirePositiveInt } from '../../shared/environment.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';

const events = syncEventsStoreFromEnvironment();
const retentionDays = requirePositiveInt(ENV.logRetentionDays);

/** "Clean Up Old Logs" (daily): deletes SyncEvents older than the retention period. */
export const handler = workStepHandler(({ runId, now }) => cleanUpLogs({ events, runId }, { now, retentionDays }));
