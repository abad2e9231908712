import { cleanUpLogs } from '../../shared/engine/clean-up-logs.ts';
import { ENV, requirePositiveInt } from '../../shared/environment.ts';
import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';

const stores = engineStoresFromEnvironment();
const retentionDays = requirePositiveInt(ENV.logRetentionDays);

/** "Clean Up Old Logs" (daily): deletes SyncEvents older than the retention period. */
export const handler = workStepHandler(({ runId, now }) => cleanUpLogs({ ...stores, runId }, { now, retentionDays }));
