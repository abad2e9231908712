import { describe, expect, it } from 'vitest';
import type { JobType } from '../../../shared/domain/job-run.ts';
import { executionConsoleUrl, renderReportEmail, reportVerdict } from '../../../shared/domain/report-email.ts';
import { type JobReliability, type WeeklyReport, weeklyReport } from '../../../shared/domain/weekly-report.ts';
import { FORBIDDEN_IN_TEXT_ALTERNATIVE, HOSTILE_TITLES } from '../../support/hostile-text.ts';
import {
  DEMO_REPORT,
  FIRST_WEEK_REPORT,
  HOSTILE_REPORT,
  REPORT_SETTINGS,
  WEEK_BEFORE_END,
  WEEK_END,
  WEEK_INPUTS,
} from '../../support/report-fixtures.ts';
import { asOf, dailyOf, NOW, openBugsOf, organizationOf, TWO_WEEKS } from '../../support/weekly.ts';

const fixture = weeklyReport({
  ...WEEK_INPUTS,
  organization: {
    current: organizationOf(WEEK_END, ['acme/api', 'acme/web']),
    weekAgo: organizationOf(WEEK_BEFORE_END, ['acme/api', 'acme/web']),
  },
  projects: [
    {
      projectId: 'acme/api',
      displayName: 'API',
      fullName: 'acme/api',
      current: dailyOf('acme/api', WEEK_END),
      weekAgo: dailyOf('acme/api', WEEK_BEFORE_END),
      status: 'critical',
    },
    {
      projectId: 'acme/web',
      displayName: 'Web',
      fullName: 'acme/web',
      current: dailyOf('acme/web', WEEK_END),
      weekAgo: dailyOf('acme/web', WEEK_BEFORE_END),
      status: 'warning',
    },
  ],
  openCriticalBugs: openBugsOf(asOf(TWO_WEEKS, NOW)).filter((bug) => bug.severity === 'critical'),
  runs: [],
});

/** The fixture with every string GitHub controls replaced by a hostile one. */
const hostile: WeeklyReport = {
  ...fixture,
  projects: HOSTILE_TITLES.map((title, index) => ({
    ...fixture.projects[0]!,
    projectId: `acme/${index}`,
    displayName: title,
    fullName: title,
  })),
  criticalBugs: HOSTILE_REPORT.criticalBugs,
};

const ALLOWED_TAGS = ['!doctype', 'a', 'b', 'body', 'br', 'head', 'html', 'meta', 'p', 'span', 'table', 'td', 'th', 'title', 'tr', 'wbr'];
const ALLOWED_ATTRIBUTES = [
  'align',
  'bgcolor',
  'cellpadding',
  'cellspacing',
  'charset',
  'content',
  'height',
  'href',
  'lang',
  'name',
  'role',
  'style',
  'width',
];
const WEEK_LABEL = '2026-W48 · 23 – 29 Nov 2026';
const DEMO_GITHUB_LINK = /^https:\/\/github\.com\/acme-demo\/[a-z-]+(\/issues\/\d+)?$/;

describe('the weekly report email', () => {
  it('carries the week label and the verdict in the subject', () => {
    expect(renderReportEmail(fixture, 'github.com').subject).toBe(
      `CTO weekly report ${WEEK_LABEL}: 2 projects need attention; revenue at risk up 43% to $7,700/day; 2 critical bugs open`,
    );
  });

  it('uses one week label in the subject, the header and the text alternative, and no rolling one', () => {
    const { subject, html, text } = renderReportEmail(DEMO_REPORT, 'github.com', REPORT_SETTINGS);
    expect(subject).toContain(WEEK_LABEL);
    expect(html).toContain(`<span style="font-size:20px;font-weight:bold">${WEEK_LABEL}</span>`);
    expect(text.split('\n')[2]).toBe(`Acme Demo · CTO weekly report · ${WEEK_LABEL}`);
    expect(`${html}\n${text}`).not.toMatch(/Week \d{4}-\d{2}-\d{2} to/);
  });

  it('sums the week up in one line', () => {
    expect(reportVerdict(DEMO_REPORT)).toBe('3 projects need attention; revenue at risk up 43% to $48,350/day; 7 critical bugs open');
    expect(reportVerdict(FIRST_WEEK_REPORT)).toBe('3 projects need attention; revenue at risk $48,350/day; 7 critical bugs open');
    const calm: WeeklyReport = {
      ...DEMO_REPORT,
      statusCounts: { healthy: 1, warning: 0, critical: 0, unknown: 0 },
      kpis: [{ ...DEMO_REPORT.kpis[0]!, value: 900, previous: 1200 }, ...DEMO_REPORT.kpis.slice(1)],
      criticalBugsTotal: 1,
    };
    expect(reportVerdict(calm)).toBe('all 1 rated project healthy; revenue at risk down 25% to $900/day; 1 critical bug open');
  });

  it('has every section, the verdict and the footer in the HTML and the text alternative', () => {
    const { html, text } = renderReportEmail(fixture, 'github.com');
    for (const section of ['Headline figures', 'Projects, worst first', 'Top critical bugs (2 open)', 'Pull requests', 'Job reliability'])
      expect(html).toContain(section);
    for (const section of ['HEADLINE FIGURES', 'PROJECTS, WORST FIRST', 'TOP CRITICAL BUGS (2 open)', 'PULL REQUESTS', 'JOB RELIABILITY'])
      expect(text).toContain(section);
    expect(text).toContain('  Revenue at risk: $7,700/day (last week $5,400/day, +$2,300, +43%)');
    expect(text).toContain('  2 merged, median time to merge 15 h');
    expect(html).toContain('max-width:600px');
    const verdict = '2 projects need attention; revenue at risk up 43% to $7,700/day; 2 critical bugs open.';
    expect(html).toContain(verdict);
    expect(text).toContain(verdict);
    const footer = 'To be added or removed, ask whoever deploys the CTO dashboard jobs.';
    expect(html).toContain(footer);
    expect(text).toContain(footer);
  });

  it("holds each job's success rate to the 99.5% target under Job reliability, naming those below it, in both parts", () => {
    const rate = (jobType: JobType, percent: number | null): JobReliability => ({
      jobType,
      runs: 200,
      completed: 0,
      failed: 0,
      timeouts: 0,
      successRate: { completed: 0, runs: 200, since: '2026-11-23T00:00:00Z', percent },
    });
    const notJudged = rate('weekly_report', null);
    const met = { ...fixture, reliability: [rate('daily_sync', 100), rate('hourly_metrics', 99.5), notJudged] };
    const missed = { ...fixture, reliability: [rate('daily_sync', 100), rate('hourly_metrics', 99), notJudged] };

    const metEmail = renderReportEmail(met, 'github.com');
    expect(metEmail.html).toContain('Target: 99.5% of runs succeed; every job that ran met it.');
    expect(metEmail.text).toContain('\n  Target: 99.5% of runs succeed; every job that ran met it.\n');
    const { html, text } = renderReportEmail(missed, 'github.com');
    expect(html).toContain('Target: 99.5% of runs succeed; below it: hourly_metrics 99.0%.');
    expect(text).toContain('  Target: 99.5% of runs succeed; below it: hourly_metrics 99.0%.');
  });

  it("shows each job's success rate as the watchdog judges it at the week's end, and what that covers, in both parts", () => {
    const { html, text } = renderReportEmail(DEMO_REPORT, 'github.com');

    expect(html).toMatch(/<td[^>]*>daily_sync<\/td><td[^>]*>7<\/td><td[^>]*>95\.0%<\/td>/);
    expect(html).toMatch(/<td[^>]*>weekly_report<\/td><td[^>]*>1<\/td><td[^>]*>–<\/td>/);
    const covers = "completed out of the ended runs of the 7 days to the week's end, or of the last 20 when fewer: the rate on-call sees";
    expect(html).toContain(
      `Success: ${covers.replace("'", '&#39;')}. –: under 20 runs, not judged yet. Target: 99.5% of runs succeed; below it: `,
    );
    expect(text).toContain(
      '  daily_sync: 7 runs, average 41.2 s, 0 failed, 0 timed out; success rate 95.0% (19 of 20 since 2026-11-10)\n',
    );
    expect(text).toContain('  weekly_report: 1 runs, average 8.1 s, 0 failed, 0 timed out; success rate not judged yet (6 of 20 runs)\n');
    expect(text).toContain(
      `\n  Success rate: ${covers}.\n  Target: 99.5% of runs succeed; below it: daily_sync 95.0%, hourly_metrics 98.2%.\n`,
    );
  });

  it('shows the change as an arrow and a figure, coloured by whether it is good news', () => {
    const { html } = renderReportEmail(DEMO_REPORT, 'github.com');
    expect(html).toContain('<span style="color:#cf222e">↑&nbsp;+$14,550 (+43%)</span>');
    expect(html).toContain('<span style="color:#1a7f37">↓&nbsp;−3 (−16%)</span>');
    expect(html).toContain('<span style="color:#57606a">→&nbsp;±0 (±0%)</span>');
    expect(html).toContain('>vs last week</th>');
  });

  it('explains the missing change on the first week instead of a column of dashes', () => {
    const { html, text } = renderReportEmail(FIRST_WEEK_REPORT, 'github.com');
    expect(html).not.toContain('vs last week');
    expect(html).toContain('First report: changes against the week before appear from next week on.');
    expect(text).toContain('  First report: changes against the week before appear from next week on.');
    expect(html).not.toMatch(/>–<\/span><\/td>/);
  });

  it('draws the 8-week trends once two weeks of data exist, and gives their numbers in the text', () => {
    const { html, text } = renderReportEmail(DEMO_REPORT, 'github.com');
    expect(html).toContain('Trends, last 8 weeks');
    expect(html.match(/<td height="\d+" bgcolor="#[0-9a-f]{6}"/g)).toHaveLength(16);
    expect(html).not.toMatch(/<(img|svg|script)/i);
    expect(text).toContain(
      '  Revenue at risk: 2026-W41 -, 2026-W42 $21,400, 2026-W43 $25,900, 2026-W44 $24,300, 2026-W45 $30,750, ' +
        '2026-W46 $29,100, 2026-W47 $33,800, 2026-W48 $48,350',
    );
    expect(text).toContain(
      '  Open critical bugs: 2026-W41 -, 2026-W42 3, 2026-W43 4, 2026-W44 4, 2026-W45 6, 2026-W46 5, 2026-W47 5, 2026-W48 7',
    );

    const first = renderReportEmail(FIRST_WEEK_REPORT, 'github.com');
    expect(first.html).not.toContain('Trends');
    expect(first.html).not.toMatch(/<td height=/);
    expect(first.text).not.toContain('TRENDS');
  });

  it('links each project and bug to the GitHub host, and the header to the dashboard and the console', () => {
    const { html, text } = renderReportEmail(DEMO_REPORT, 'github.com', REPORT_SETTINGS);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!.replace(/&amp;/g, '&'));
    const [dashboard, console, ...github] = hrefs;
    expect(dashboard).toBe(REPORT_SETTINGS.dashboardUrl);
    expect(console).toBe(REPORT_SETTINGS.consoleUrl);
    expect(github).toHaveLength(DEMO_REPORT.projects.length + DEMO_REPORT.criticalBugs.length);
    for (const href of github) expect(href).toMatch(DEMO_GITHUB_LINK);
    for (const href of hrefs) expect(text).toContain(href);
    expect(text).toContain('To be added or removed, ask platform-team@acme.example.');
  });

  it('links only to the configured GitHub host: a bug on another host gets no link, nor a dashboard that is not https', () => {
    const { html } = renderReportEmail(DEMO_REPORT, 'github.acme.example', { dashboardUrl: 'javascript:alert(1)' });
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);
    expect(hrefs).toEqual(DEMO_REPORT.projects.map((project) => `https://github.acme.example/${project.fullName}`));
  });

  it("links a run to its execution's page in the Step Functions console, but not a local run's", () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:WeeklyReportJob1A2B:weekly_report-2026-11-30T09-00';
    expect(executionConsoleUrl(arn)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    );
    expect(executionConsoleUrl(arn.replace('123456789012', '000000000000'))).toBeUndefined();
    expect(executionConsoleUrl('arn:aws:states:eu-west-1:123456789012:stateMachine:WeeklyReportJob1A2B')).toBeUndefined();
  });

  it('lets names break only after "/" and "-" and before "#"', () => {
    const { html } = renderReportEmail(DEMO_REPORT, 'github.com');
    expect(html).toContain('acme-<wbr>demo/<wbr>checkout-<wbr>api<wbr>#139');
    expect(html).toContain('111&nbsp;d');
  });

  it('turns a hostile corpus into inert, well-formed HTML with links only to GitHub', () => {
    const { html, text } = renderReportEmail(hostile, 'github.com');
    const tags = [...html.matchAll(/<\/?([a-zA-Z!]+)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/g)];
    expect(tags.length).toBe(html.split('<').length - 1);
    expect([...new Set(tags.map((tag) => tag[1]!.toLowerCase()))].sort()).toEqual(ALLOWED_TAGS);
    expect([...new Set(tags.flatMap((tag) => [...tag[2]!.matchAll(/\s([a-zA-Z-]+)=/g)].map((match) => match[1])))].sort()).toEqual(
      ALLOWED_ATTRIBUTES,
    );
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https:\/\/github\.com\/acme\/api\/issues\/\d+$/);
    expect(html).not.toMatch(/[\u202A-\u202E]/);
    expect(text).not.toMatch(FORBIDDEN_IN_TEXT_ALTERNATIVE);
    expect(html.length).toBeLessThan(120_000);
  });
});
