/**
 * `cto-jobs smoke --aws`: the first thing to run after `cdk deploy`. Triggers each job on the deployed stack as a
 * manual run, one after the other (the daily sync first, so the hourly job and the report have data), waits for each,
 * and checks what it left: a completed JobHistory row, its SyncEvents, and for the weekly job a report event.
 * The weekly job emails the CTO (once per ISO week), so it runs only with `--send`; without it the smoke test says
 * it was not run, and passes on the other two.
 */
import type { JobName } from '../../shared/domain/job-run.ts';
import type { EngineStores } from '../../shared/engine/stores.ts';
import { type DeployedClients, type TriggerResult, triggerJob } from './deployed.ts';

/** One job's smoke test: passed, and the line that says what was seen. */
export interface SmokeResult {
  readonly job: JobName;
  readonly passed: boolean;
  readonly line: string;
}

/** What each job must have left, beyond a completed run: the weekly job's report, sent or rendered. */
const REPORT_EVENT = 'report';

/**
 * Runs the smoke test; each job's result in the order run. A job whose execution cannot even start fails, and
 * the next ones still run.
 */
export async function smokeTest(
  clients: DeployedClients,
  stackName: string,
  stores: EngineStores,
  options: { readonly send: boolean; readonly pollMs?: number; readonly now?: () => Date },
): Promise<SmokeResult[]> {
  const now = options.now ?? (() => new Date());
  const results: SmokeResult[] = [];
  for (const job of ['daily', 'hourly', 'weekly'] as const) {
    if (job === 'weekly' && !options.send) {
      results.push({ job, passed: true, line: 'weekly: not run (it emails the report; --send runs it)' });
      continue;
    }
    try {
      const triggered = await triggerJob(clients, stackName, job, { now: now(), wait: true, pollMs: options.pollMs, stores });
      results.push(await checked(job, triggered, stores));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.push({ job, passed: false, line: `${job}: FAILED, could not run: ${reason}` });
    }
  }
  return results;
}

async function checked(job: JobName, triggered: TriggerResult, stores: EngineStores): Promise<SmokeResult> {
  const { run, status, executionArn } = triggered;
  const events = run ? await stores.events.listForRun(run.runId) : [];
  const problems = [
    ...(status === 'SUCCEEDED' ? [] : [`execution ${status}`]),
    ...(run ? (run.status === 'completed' ? [] : [`JobHistory row ${run.status}`]) : ['no JobHistory row']),
    ...(events.length > 0 ? [] : ['no SyncEvents']),
    ...(job === 'weekly' && !events.some((event) => event.eventType === REPORT_EVENT) ? ['no report event'] : []),
  ];
  if (problems.length > 0) return { job, passed: false, line: `${job}: FAILED, ${problems.join(', ')} (${executionArn})` };
  const seconds = run?.durationMs === undefined ? '' : ` in ${Math.round(run.durationMs / 100) / 10} s`;
  const report = job === 'weekly' ? `; ${events.find((event) => event.eventType === REPORT_EVENT)!.message}` : '';
  return { job, passed: true, line: `${job}: ok, ${run!.runId} completed${seconds}, ${events.length} event(s)${report}` };
}
