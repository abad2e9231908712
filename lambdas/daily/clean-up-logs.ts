import { cleanUpLogs } from '../../shared/daily/clean-up-logs.ts';
import { logRetentionDays, syncEventsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';

const events = syncEventsStore();
const retentionDays = logRetentionDays();

/** "Clean Up Old Logs" (daily): deletes SyncEvents older than the retention period. */
export const handler = workStepHandler(({ runId, now }) => cleanUpLogs({ events, runId }, { now, retentionDays }));
