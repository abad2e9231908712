import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectHealth, SyncedHealth } from '../../lib/cli/health.ts';
import { formatDollars } from '../../shared/domain/alert-message.ts';
import type { JobRun } from '../../shared/domain/job-run.ts';
import { DEFAULT_HEALTH_THRESHOLDS, healthStatusOf } from '../../shared/domain/project-health.ts';
import { runScript } from '../support/cli.ts';
import { FORBIDDEN_IN_TEXT_ALTERNATIVE, HOSTILE_TITLES } from '../support/hostile-text.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-home-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const cli = (...args: string[]) => runScript('cto-jobs.ts', args, { CTO_JOBS_HOME: home });
const HOUR_MS = 3_600_000;

describe('npm start (cto-jobs run all)', () => {
  it('runs the three jobs locally and leaves their history in $CTO_JOBS_HOME', async () => {
    const packageJson = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
    expect(packageJson.scripts.start).toContain('bin/cto-jobs.ts run all');

    const started = await cli('run', 'all');
    expect(started.stderr).toContain('▶ daily_sync (manual run)');
    expect(started.stderr).toContain('→ Clean Up Old Logs');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/daily_sync\s+manual\s+\S+\s+completed/);

    const history = await cli('history', '--json');
    expect(history.code).toBe(0);
    const runs = JSON.parse(history.stdout) as JobRun[];
    expect(runs.map((run) => [run.jobType, run.trigger, run.status]).sort()).toEqual([
      ['daily_sync', 'manual', 'completed'],
      ['hourly_metrics', 'manual', 'completed'],
      ['weekly_report', 'manual', 'completed'],
    ]);
    expect(fs.existsSync(path.join(home, 'dynamodb'))).toBe(true);

    // The hourly run computed the demo's figures, and its alerts went to the local on-call file.
    expect(started.stdout).toMatch(/Hourly figures at \S+ \(5 projects\)\n {2}revenue at risk +\$[\d,]+\/day/);
    const published = fs
      .readFileSync(path.join(home, 'alerts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subject: string; message: string });
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toMatch(/^CTO dashboard alerts: \d+ new \(\$[\d,]+\/day at risk\)$/);

    // No recipients are configured: the weekly report is rendered and saved, and the output says no email was sent.
    expect(started.stdout).toMatch(/Weekly report: rendered the \d{4}-W\d{2} report; no recipients configured: no email sent/);
    expect(started.stdout).not.toContain('local SES endpoint');
    const outbox = fs.readdirSync(path.join(home, 'outbox')).sort();
    expect(outbox).toEqual([
      expect.stringMatching(/^weekly-report-\d{4}-W\d{2}\.html$/),
      expect.stringMatching(/\.json$/),
      expect.stringMatching(/\.txt$/),
    ]);
    const envelope = JSON.parse(fs.readFileSync(path.join(home, 'outbox', outbox[1]!), 'utf8')) as { subject: string; to: string[] };
    expect(envelope).toMatchObject({ subject: expect.stringMatching(/^CTO weekly report \d{4}-W\d{2} · /), to: [] });
    // The envelope always names its sender (the README promises subject, from, to, date): null, as no sender is configured.
    expect(envelope).toHaveProperty('from', null);
  }, 180_000);

  it('reads back what the run left: the report preview, the status page and the metrics', async () => {
    const published = fs
      .readFileSync(path.join(home, 'alerts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subject: string });
    const preview = path.join(home, 'preview.html');
    const report = await cli('report', '--out', preview, '--at', new Date().toISOString());
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(`wrote ${preview} and its text alternative ${path.join(home, 'preview.txt')}; nothing was sent`);
    expect(fs.readFileSync(preview, 'utf8')).toContain('Projects, worst first');
    expect(fs.readFileSync(path.join(home, 'preview.txt'), 'utf8')).toContain('HEADLINE FIGURES');

    const page = path.join(home, 'status.html');
    const status = await cli('status', '--json', '--html', page);
    expect(status.code).toBe(0);
    const dashboard = JSON.parse(status.stdout) as {
      dashboard: { summary: { healthStatus: string }; statistics: { jobType: string; total: number }[] };
    };
    expect(dashboard.dashboard.summary.healthStatus).toBe('healthy');
    expect(dashboard.dashboard.statistics.map((job) => [job.jobType, job.total])).toEqual([
      ['daily_sync', 1],
      ['hourly_metrics', 1],
      ['weekly_report', 1],
    ]);
    expect(fs.readFileSync(page, 'utf8')).toContain('<h2>Jobs over 14 days</h2>');
    // Each project's lag is judged against the configured stale limit.
    const freshness = JSON.parse(status.stdout) as { staleAfterHours?: number; projects: { lag: { stale?: boolean } }[] };
    expect(freshness.staleAfterHours).toBeGreaterThan(0);
    expect(freshness.projects.length).toBeGreaterThan(0);
    expect(freshness.projects.every(({ lag }) => typeof lag.stale === 'boolean')).toBe(true);

    const metrics = await cli('metrics', '--json');
    expect(metrics.code).toBe(0);
    const latest = JSON.parse(metrics.stdout) as {
      organization: { projects: number; openBugs: number };
      projects: unknown[];
      openAlerts: { alertId: string }[];
    };
    expect(latest.organization.projects).toBe(5);
    expect(latest.projects).toHaveLength(5);
    expect(latest.openAlerts.length).toBe(Number(/(\d+) new/.exec(published[0]!.subject)![1]));
  }, 180_000);

  it("prints the replayed hour's figures after run hourly --at an earlier hour, and says that it was a replay", async () => {
    const alertsBefore = fs.readFileSync(path.join(home, 'alerts.jsonl'), 'utf8');
    const earlier = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS);

    const replay = await cli('run', 'hourly', '--at', earlier.toISOString());

    expect(replay.code).toBe(0);
    const hour = earlier.toISOString().slice(0, 19);
    expect(replay.stdout).toMatch(new RegExp(`Hourly figures at ${hour}(\\.000)?Z \\(5 projects\\)`));
    // The note is wrapped to 100 columns: read it with its line breaks as spaces.
    expect(replay.stdout.replaceAll('\n', ' ')).toMatch(
      new RegExp(` Replay of ${hour}\\S* \\(alerts were last evaluated at [^)]+\\): alert state unchanged, nothing notified: nothing`),
    );
    expect(replay.stdout).not.toContain('Alert notifications the on-call topic would publish');
    expect(fs.readFileSync(path.join(home, 'alerts.jsonl'), 'utf8')).toBe(alertsBefore);
  }, 180_000);

  it("sends the weekly report to REPORT_EMAILS from EMAIL_FROM, the old system's variables, and saves it with its envelope", async () => {
    const result = await runScript('cto-jobs.ts', ['run', 'weekly', '--at', '2026-12-07T09:00:00Z'], {
      CTO_JOBS_HOME: home,
      REPORT_EMAILS: 'cto@example.com, vp@example.com',
      EMAIL_FROM: 'jobs@example.com',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Weekly report: sent the 2026-W49 report to 2 recipient\(s\)/);
    expect(result.stdout).toContain('emails went to the local SES endpoint');
    const envelope = JSON.parse(fs.readFileSync(path.join(home, 'outbox', 'weekly-report-2026-W49.json'), 'utf8')) as {
      from: string;
      to: string[];
    };
    expect(envelope).toMatchObject({ from: 'jobs@example.com', to: ['cto@example.com', 'vp@example.com'] });
  });

  it('replays a slot with --at, and a second delivery of it is a no-op that exits 0', async () => {
    const first = await cli('run', 'daily', '--at', '2026-11-30T02:00:00Z', '--json');
    const second = await cli('run', 'daily', '--at', '2026-11-30T02:00:00Z', '--json');

    expect([first.code, second.code]).toEqual([0, 0]);
    const [run] = JSON.parse(first.stdout) as JobRun[];
    expect(run).toMatchObject({ runId: 'daily_sync#2026-11-30T02:00:00Z', trigger: 'schedule', status: 'completed' });
    const [again] = JSON.parse(second.stdout) as JobRun[];
    expect(again).toMatchObject({ runId: run!.runId, executionArn: run!.executionArn, duplicateDeliveries: 1 });
  });

  it('rejects a malformed --at or job name with a message naming the value', async () => {
    const badTime = await cli('run', 'daily', '--at', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('--at "yesterday" is not an ISO 8601 time');
    const badJob = await cli('run', 'monthly');
    expect(badJob.code).toBe(2);
    expect(badJob.stderr).toContain('expected a job (daily|hourly|weekly|all), got "monthly"');
  });
});

describe('cto-jobs projects', () => {
  it('adds, imports (all or nothing), lists and removes projects, naming bad values', async () => {
    const file = path.join(home, 'projects.json');
    fs.writeFileSync(file, JSON.stringify([{ repository: 'acme/web', displayName: 'Web' }, { repository: 'not a repo' }]));
    const badImport = await cli('projects', 'import', file);
    expect(badImport.code).toBe(1);
    expect(badImport.stderr).toContain('[1].repository: "not a repo" is not a GitHub repository (owner/repo)');

    fs.writeFileSync(file, JSON.stringify([{ repository: 'acme/web', displayName: 'Web' }]));
    expect((await cli('projects', 'import', file)).stdout).toContain('added acme/web');
    const added = await cli('projects', 'add', 'Acme/API', '--revenue', 'critical=9000', '--sla', 'high=48');
    expect(added.stdout).toContain('added Acme/API');
    const badSeverity = await cli('projects', 'add', 'acme/x', '--revenue', 'urgent=5');
    expect(badSeverity.stderr).toContain('--revenue "urgent=5" is not <severity>=<number>');

    const listed = JSON.parse((await cli('projects', 'list', '--json')).stdout) as {
      projectId: string;
      revenueDefaults: Record<string, number>;
      slaHours?: Record<string, number>;
    }[];
    const api = listed.find((project) => project.projectId === 'acme/api');
    expect(api).toMatchObject({ revenueDefaults: { critical: 9000, high: 250 }, slaHours: { high: 48 } });
    // Money reads as everywhere else: "$9,000", not "$9000".
    expect((await cli('projects', 'list')).stdout).toMatch(/Acme\/API .*\$9,000 \/ \$250 \//);
    expect(listed.map((project) => project.projectId)).toEqual(expect.arrayContaining(['acme/api', 'acme/web']));

    const removed = await cli('projects', 'remove', 'acme/web');
    expect(removed.stdout).toContain('removed acme/web: no longer synced');
    expect(removed.stdout).toContain('kept: 0 work items, 0 daily snapshots, 0 weekly statuses, 0 alert states');
    const after = JSON.parse((await cli('projects', 'list', '--json')).stdout) as { projectId: string }[];
    expect(after.map((project) => project.projectId)).not.toContain('acme/web');
    const purged = await cli('projects', 'remove', 'acme/web', '--purge');
    expect(purged.stdout).toContain('deleted: 0 work items, 0 daily snapshots, 0 hourly snapshots, 0 weekly statuses, 0 alert states');
    const unknown = await cli('projects', 'remove', 'acme/nowhere');
    expect([unknown.code, unknown.stdout.trim()]).toEqual([1, 'no project acme/nowhere']);
  }, 180_000);
});

describe('cto-jobs projects with hostile display names', () => {
  it('lists display names from an import file as inert text: no escape sequence, control or direction override', async () => {
    const file = path.join(home, 'hostile.json');
    const hostileNames = ['\u001B[31mRED\u001B[0m \u001B]8;;https://evil.example\u0007link\u001B]8;;\u0007 \u001B[2J', ...HOSTILE_TITLES];
    fs.writeFileSync(
      file,
      JSON.stringify(hostileNames.map((displayName, index) => ({ repository: `hostile/repo-${index}`, displayName }))),
    );
    expect((await cli('projects', 'import', file)).code).toBe(0);

    const listed = await cli('projects', 'list');

    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/hostile\/repo-0 +RED link\s/);
    expect(listed.stdout).not.toMatch(FORBIDDEN_IN_TEXT_ALTERNATIVE);
    expect(listed.stdout).not.toContain('[31m');
    // The line break became a space, on the project's one row (a name too long for 100 columns is cut: --json has it whole).
    expect(listed.stdout).toMatch(/\nhostile\/repo-8 +line one FAKE: RESOLVED/);
  }, 180_000);
});

describe('cto-jobs health', () => {
  it("lists every active project's latest daily health as JSON and as a table, a project never synced as such", async () => {
    const json = await cli('health', '--json');
    const text = await cli('health');

    expect([json.code, text.code]).toEqual([0, 0]);
    const projects = JSON.parse(json.stdout) as ProjectHealth[];
    const synced = projects.filter((project): project is SyncedHealth => project.synced);
    expect(synced).toHaveLength(5);
    for (const project of synced) {
      expect(project).toMatchObject({ formulaVersion: 'health-v2', syncedAt: expect.stringMatching(/^\d{4}-/) });
      expect(project.classification).toBe(healthStatusOf(project.score, DEFAULT_HEALTH_THRESHOLDS));
      const { penalties } = project;
      expect(Object.keys(penalties).sort()).toEqual([
        'backlogGrowth',
        'openCritical',
        'openHigh',
        'revenueAtRisk',
        'slaBreaches',
        'stalePullRequests',
        'unassignedCritical',
      ]);
      const points = Object.values(penalties).reduce((sum, penalty) => sum + penalty.points, 0);
      expect(Math.abs(100 - project.score - points)).toBeLessThanOrEqual(1);
      expect([penalties.openCritical.input, penalties.openHigh.input]).toEqual([project.openBugs.critical, project.openBugs.high]);
      expect(penalties.slaBreaches.input).toBe(project.slaBreaches);
      expect(penalties.unassignedCritical.input).toBe(project.unassignedCritical);
      expect(penalties.revenueAtRisk.input).toBe(project.revenueAtRisk);
      expect(penalties.stalePullRequests.input).toBe(project.pullRequests.stale);
      // A row per project, its name, formula and penalties on the lines under it.
      expect(text.stdout).toMatch(new RegExp(`^${project.repository} +${project.score} ${project.classification} `, 'm'));
      expect(text.stdout).toContain(`\n  ${project.displayName} · health-v2 · synced `);
    }
    // Added by \`projects add\` above and never synced since: listed, not left out.
    expect(projects).toContainEqual({ projectId: 'acme/api', repository: 'Acme/API', displayName: 'API', synced: false });
    expect(text.stdout).toMatch(/^Acme\/API +never synced +- .*\n {2}API · never synced\n/m);
    // Money reads as everywhere else in the CLI ("$12,500"), and hostile display names are inert.
    const mostAtRisk = Math.max(...synced.map((project) => project.revenueAtRisk));
    expect(mostAtRisk).toBeGreaterThanOrEqual(1000);
    expect(text.stdout).toContain(` ${formatDollars(mostAtRisk)} `);
    expect(text.stdout).not.toMatch(/\$\d{4}/);
    expect(text.stdout).toMatch(/^hostile\/repo-0 +never synced .*\n {2}RED link · never synced\n/m);
    expect(text.stdout).not.toMatch(FORBIDDEN_IN_TEXT_ALTERNATIVE);
  }, 180_000);
});

describe('cto-jobs with bad input', () => {
  const untouchedHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-untouched-'));
  afterAll(() => fs.rmSync(untouchedHome, { recursive: true, force: true }));
  const aFile = path.join(untouchedHome, 'a-file');
  fs.writeFileSync(aFile, 'not a directory');
  const tooLarge = path.join(untouchedHome, 'too-large.json');
  fs.writeFileSync(tooLarge, JSON.stringify([{ repository: 'acme/web', displayName: 'x'.repeat(1_048_576) }]));
  const notJson = path.join(untouchedHome, 'not-json.json');
  fs.writeFileSync(notJson, '\u001B[31m{repository: acme/web}');

  it.each([
    ['an unknown command', ['bogus'], {}, '"bogus"', 'commands: run, history, events, metrics, report, status, health, projects, trigger'],
    ['an unknown flag', ['history', '--frob'], {}, '"--frob" for history', 'options: --job, --limit, --json, --aws, --help'],
    ["another command's flag", ['run', 'daily', '--limit', '3'], {}, '"--limit" for run', 'options: --at, --json, --verbose, --help'],
    ['--purge on another command', ['history', '--purge'], {}, '"--purge" for history', 'options: --job, --limit, --json, --aws, --help'],
    ['a flag without its value', ['run', 'daily', '--at'], {}, '--at', 'needs a value'],
    ['a job name from Object.prototype', ['run', 'constructor'], {}, '"constructor"', '(daily|hourly|weekly|all)'],
    ['a misspelt job name', ['run', 'dialy'], {}, '"dialy"', '(daily|hourly|weekly|all)'],
    ['a history job name from Object.prototype', ['history', '--job', 'toString'], {}, '"toString"', '(daily|hourly|weekly)'],
    [
      'an impossible date',
      ['run', 'daily', '--at', '2026-02-30T02:00:00Z'],
      {},
      '"2026-02-30T02:00:00Z"',
      'ISO 8601 time with Z or an offset',
    ],
    ['a time without an offset', ['run', 'daily', '--at', '2026-11-30T02:00:00'], {}, '"2026-11-30T02:00:00"', 'with Z or an offset'],
    ['an hour past 23', ['report', '--out', 'x.html', '--at', '2026-11-30T24:00:00Z'], {}, '"2026-11-30T24:00:00Z"', 'Z or an offset'],
    ['a zero --limit', ['history', '--limit', '0'], {}, '--limit "0"', 'positive integer'],
    ['a fractional --limit', ['events', '--limit', '2.5'], {}, '--limit "2.5"', 'positive integer'],
    ['an exponent --limit', ['history', '--limit', '1e3'], {}, '--limit "1e3"', 'positive integer'],
    ['a file as CTO_JOBS_HOME', ['history'], { CTO_JOBS_HOME: aFile }, `CTO_JOBS_HOME ${JSON.stringify(aFile)}`, 'not a directory'],
    ['a path under a file as CTO_JOBS_HOME', ['status'], { CTO_JOBS_HOME: path.join(aFile, 'home') }, 'a-file/home"', 'not a directory'],
    ['an import file over 1 MB', ['projects', 'import', tooLarge], {}, JSON.stringify(tooLarge), 'at most 1 MB (1,048,576 bytes)'],
    ['an import file that is not JSON', ['projects', 'import', notJson], {}, JSON.stringify(notJson), 'is not JSON'],
    ['a missing import file', ['projects', 'import', path.join(untouchedHome, 'none.json')], {}, 'none.json"', 'no such file'],
    ['no command', [], {}, 'a command is needed', 'one of run, history'],
    ['an extra argument', ['history', 'daily'], {}, '"daily"', 'history takes no argument'],
    ['smoke without --aws', ['smoke', '--send'], {}, 'smoke', 'add --aws'],
    ['a week that is not an ISO week', ['resend-report', '2026-48', '--aws'], {}, '"2026-48"', 'an ISO week such as 2026-W48'],
  ])('refuses %s with one line naming it, exit code 2, before anything starts', async (_, args, env, value, allowed) => {
    const result = await runScript('cto-jobs.ts', args, { CTO_JOBS_HOME: untouchedHome, ...env });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cto-jobs: /);
    expect(lines[0]).toContain(value);
    expect(lines[0]).toContain(allowed);
    expect(result.stderr).not.toMatch(/^\s*at /m);
    expect(result.stderr).not.toContain('\u001B');
    // Refused before any synthesis or local runtime: nothing was created in CTO_JOBS_HOME.
    expect(fs.readdirSync(untouchedHome).sort()).toEqual(['a-file', 'not-json.json', 'too-large.json']);
  });

  it('prints the usage of every command with --help, and of one command with <command> --help, exit code 0', async () => {
    const all = await runScript('cto-jobs.ts', ['--help']);
    const history = await runScript('cto-jobs.ts', ['history', '-h']);
    const health = await runScript('cto-jobs.ts', ['health', '--help']);

    expect([all.code, history.code, health.code]).toEqual([0, 0, 0]);
    expect(health.stdout).toContain('health [--json] [--aws]');
    expect(all.stdout).toContain('projects remove <owner/repo> [--purge] [--aws]');
    for (const command of [
      'run',
      'history',
      'events',
      'metrics',
      'report',
      'status',
      'health',
      'projects add',
      'projects list',
      'projects remove',
      'trigger',
      'smoke',
      'resend-report',
      'redrive',
    ])
      expect(all.stdout).toContain(`  ${command} `);
    expect(all.stdout).toContain('CTO_JOBS_HOME');
    expect(history.stdout).toContain('history [--job <daily|hourly|weekly>] [--limit N] [--json] [--aws]');
    expect(history.stdout).not.toContain('redrive');
  });
});

describe('cdk synth (bin/app.ts) with bad configuration', () => {
  const synth = (ctoJobs: unknown) => runScript('app.ts', [], { CDK_CONTEXT_JSON: JSON.stringify({ ctoJobs }) });

  it.each([
    [{ timeZone: 'Europe/Atlantis' }, 'ctoJobs.timeZone: "Europe/Atlantis" is not an IANA time zone'],
    [{ schedules: { weekly: '0 9 * * MON-FUN' } }, 'ctoJobs.schedules.weekly: "0 9 * * MON-FUN"'],
    [{ report: { recipients: ['cto@example.com'] } }, 'ctoJobs.report.sender: is required when report.recipients is set'],
  ])('fails with a message naming the key (%j)', async (ctoJobs, message) => {
    const result = await synth(ctoJobs);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
