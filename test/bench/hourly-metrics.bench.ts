/**
 * `npm run bench` (hourly part): the hourly job through the synthesized state machine over 100,000 open
 * bugs in 1,000 projects in dynalite, beside closed bugs and other items it must not read. Counts every
 * item DynamoDB reads (ScannedCount) against the items the figures need. Prints a Markdown table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { SEVERITIES } from '../../shared/domain/bugs.ts';
import { newProject } from '../../shared/domain/project.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { storedBug } from '../support/hourly.ts';

const PROJECTS = 1000;
const OPEN_BUGS = 100;
const RECENT_CLOSURES = 20;
/** Items each project also holds that the hourly job must not read. */
const OLD_CLOSURES = 30;
const OTHER_ITEMS = 20;
const DAY = 86_400_000;
const at = new Date('2026-11-23T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
const count = (value: number) => value.toLocaleString('en-US');
const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function projectItems(projectId: string): WorkItem[] {
  const items: WorkItem[] = [];
  let number = 0;
  for (let i = 0; i < OPEN_BUGS; i++) {
    const severity = i % 50 === 0 ? 'critical' : i % 10 === 0 ? 'high' : SEVERITIES[2 + (i % 2)]!;
    items.push(
      storedBug(projectId, ++number, {
        severity,
        createdAt: iso(at.getTime() - (i % 60) * DAY - 3_600_000),
        revenueImpact: (i % 7) * 50,
        assignees: i % 5 === 0 ? [] : ['dev'],
      }),
    );
  }
  for (let i = 0; i < RECENT_CLOSURES; i++) {
    items.push(
      storedBug(projectId, ++number, {
        severity: 'medium',
        createdAt: iso(at.getTime() - 30 * DAY),
        closedAt: iso(at.getTime() - (i % 13) * DAY - 60_000),
      }),
    );
  }
  for (let i = 0; i < OLD_CLOSURES; i++) {
    items.push(
      storedBug(projectId, ++number, {
        severity: 'low',
        createdAt: iso(at.getTime() - 90 * DAY),
        closedAt: iso(at.getTime() - (15 + i) * DAY),
      }),
    );
  }
  for (let i = 0; i < OTHER_ITEMS; i++) {
    const time = iso(at.getTime() - i * DAY);
    items.push({
      projectId,
      number: ++number,
      kind: i % 2 ? 'issue' : 'pull_request',
      title: `Item ${number}`,
      state: 'open',
      htmlUrl: `https://github.com/${projectId}/issues/${number}`,
      author: 'octocat',
      assignees: [],
      labels: [],
      createdAt: time,
      updatedAt: time,
    });
  }
  return items;
}

/** Items each Query read (ScannedCount), by table and index. */
const scanned = new Map<string, number>();
documentClient.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    if (context.commandName === 'QueryCommand') {
      const input = args.input as { TableName: string; IndexName?: string };
      const table = input.TableName.replace(/^.*?Tables/, '').replace(/[A-F0-9]{8}.*$/, '');
      const key = input.IndexName ? `${table}/${input.IndexName}` : table;
      scanned.set(key, (scanned.get(key) ?? 0) + ((result.output as { ScannedCount?: number }).ScannedCount ?? 0));
    }
    return result;
  },
  { step: 'initialize', name: 'countScannedItems' },
);

// RSS covers the whole process, dynalite and its 170,000 items included; the main thread's heap (dynalite
// runs on a worker thread with its own heap) is the closer stand-in for the Lambda's memory.
let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
}, 20);

const alertsDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-bench-alerts-'));
const runtime = await LocalRuntime.start({
  context: readCdkContext(PROJECT_ROOT),
  alertsFile: path.join(alertsDirectory, 'alerts.jsonl'),
});
try {
  const seeding = performance.now();
  const projectIds = Array.from({ length: PROJECTS }, (_, p) => `bench/repo-${String(p).padStart(4, '0')}`);
  for (let start = 0; start < projectIds.length; start += 8) {
    await Promise.all(
      projectIds.slice(start, start + 8).map(async (projectId) => {
        await runtime.stores.projects.save(newProject({ repository: projectId }, new Date('2026-01-01T00:00:00Z')));
        await runtime.stores.items.upsert(projectItems(projectId));
      }),
    );
  }
  const seeded = PROJECTS * (OPEN_BUGS + RECENT_CLOSURES + OLD_CLOSURES + OTHER_ITEMS);
  console.error(`seeded ${seeded} items in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);

  const needed = PROJECTS * (OPEN_BUGS + RECENT_CLOSURES);
  const rows: string[] = [];
  for (const [label, when] of [
    ['first run: every alert fires', at],
    ['an hour later: nothing changed', new Date(at.getTime() + 3_600_000)],
  ] as const) {
    scanned.clear();
    global.gc?.();
    peakRss = process.memoryUsage().rss;
    peakHeap = process.memoryUsage().heapUsed;
    const heapBefore = peakHeap;
    const started = performance.now();
    const result = await runtime.runJob('hourly', { at: when });
    const wallMs = performance.now() - started;
    if (result.run?.status !== 'completed') throw new Error(`the hourly run ended ${result.run?.status}: ${result.run?.errorMessage}`);
    const workItemsRead = [...scanned].filter(([key]) => key.startsWith('WorkItems')).reduce((sum, [, count]) => sum + count, 0);
    const allRead = [...scanned.values()].reduce((sum, count) => sum + count, 0);
    const cells = [
      label,
      `${(wallMs / 1000).toFixed(1)} s`,
      count(workItemsRead),
      count(needed),
      `${(workItemsRead / needed).toFixed(3)}x`,
      `${count(allRead)} (${(allRead / needed).toFixed(3)}x)`,
      mebibytes(peakRss),
      mebibytes(peakHeap - heapBefore),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
    console.error(`${label}: ${result.run.summary}; reads by table/index: ${JSON.stringify(Object.fromEntries(scanned))}`);
  }
  console.log(
    `\nHourly job benchmark: ${count(PROJECTS)} projects, ${count(PROJECTS * OPEN_BUGS)} open bugs, ${count(seeded)} items in all, ` +
      `dynalite, Node ${process.version}\n`,
  );
  const headings = [
    'run',
    'wall',
    'WorkItems read',
    'items needed (open bugs + 14 days of closures)',
    'read / needed',
    'all items read (with projects and alert states)',
    'peak RSS (process)',
    'peak heap growth (main thread)',
  ];
  console.log(`| ${headings.join(' | ')} |`);
  console.log(`|${'---|'.repeat(headings.length)}`);
  for (const row of rows) console.log(row);
  console.log('\nTarget: read / needed <= 1.05x (only open bugs and recent closures are read).');
} finally {
  clearInterval(sampler);
  await runtime.close();
  fs.rmSync(alertsDirectory, { recursive: true, force: true });
}
