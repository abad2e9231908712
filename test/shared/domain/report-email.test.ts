/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportEmail } from '../../../shared/domain/report-email.ts';
import { type WeeklyReport, weeklyReport } from '../../../shared/domain/weekly-report.ts';
import { ARTIFACTS_DIRECTORY, BROWSER_SETUP_TIMEOUT_MS, launchChromium } from '../../support/browser.ts';
import { FORBIDDEN_IN_TEXT_ALTERNATIVE, HOSTILE_TITLES } from '../../support/hostile-text.ts';
import { asOf, dailyOf, NOW, openBugsOf, organizationOf, TWO_WEEKS, WEEK_AGO } from '../../support/weekly.ts';

const fixture = weeklyReport({
  now: NOW,
  organization: { current: organizationOf(NOW, ['acme/api', 'acme/web']), weekAgo: organizationOf(WEEK_AGO, ['acme/api', 'acme/web']) },
  projects: [
    {
      projectId: 'acme/api',
      displayName: 'API',
      current: dailyOf('acme/api', NOW),
      weekAgo: dailyOf('acme/api', WEEK_AGO),
      status: 'critical',
    },
    {
      projectId: 'acme/web',
      displayName: 'Web',
      current: dailyOf('acme/web', NOW),
      weekAgo: dailyOf('acme/web', WEEK_AGO),
      status: 'warning',
    },
  ],
  openCriticalBugs: openBugsOf(asOf(TWO_WEEKS, NOW)).filter((bug) => bug.severity === 'critical'),
  runs: [],
});

/** The fixture with every string GitHub controls replaced by a hostile one. */
const hostile: WeeklyReport = {
  ...fixture,
  projects: HOSTILE_TITLES.map((title, index) => ({ ...fixture.projects[0]!, projectId: `acme/${index}`, displayName: title })),
  criticalBugs: HOSTILE_TITLES.map((title, index) => ({
    projectId: index % 2 ? title : 'acme/api',
    number: index + 1,
    title,
    url:
      index % 3 === 0
        ? 'javascript:alert(1)'
        : index % 3 === 1
          ? 'https://evil.example/phish'
          : `https://github.com/acme/api/issues/${index + 1}`,
    ageDays: index,
    revenueImpact: 1000,
  })),
};

const ALLOWED_TAGS = ['!doctype', 'a', 'b', 'body', 'head', 'html', 'meta', 'p', 'span', 'table', 'td', 'th', 'title', 'tr'];
const ALLOWED_ATTRIBUTES = ['align', 'cellpadding', 'cellspacing', 'charset', 'content', 'href', 'lang', 'name', 'role', 'style', 'width'];

describe('the weekly report email', () => {
  it('carries the key numbers in the subject', () => {
    expect(renderReportEmail(fixture, 'github.com').subject).toBe(
      'CTO weekly report, week to 2026-11-30: $7,700/day at risk (+43%), 2 critical bugs, 1 projects critical',
    );
  });

  it('has every section in the HTML and the text alternative', () => {
    const { html, text } = renderReportEmail(fixture, 'github.com');
    for (const section of ['Headline figures', 'Projects, worst first', 'Top critical bugs (2 open)', 'Pull requests', 'Job reliability'])
      expect(html).toContain(section);
    for (const section of ['HEADLINE FIGURES', 'PROJECTS, WORST FIRST', 'TOP CRITICAL BUGS (2 open)', 'PULL REQUESTS', 'JOB RELIABILITY'])
      expect(text).toContain(section);
    expect(text).toContain('  Revenue at risk: $7,700/day (last week $5,400/day, +$2,300, +43%)');
    expect(text).toContain('  2 merged, median time to merge 15 h');
    expect(html).toContain('max-width:600px');
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

describe('the weekly report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
    fs.mkdirSync(ARTIFACTS_DIRECTORY, { recursive: true });
  }, BROWSER_SETUP_TIMEOUT_MS);
  afterAll(() => browser?.close());

  it.each([
    ['fixture', 600],
    ['fixture', 375],
    ['hostile', 375],
  ] as const)('renders the %s report at %i px with every section and no horizontal overflow', async (which, width) => {
    const { html } = renderReportEmail(which === 'fixture' ? fixture : hostile, 'github.com');
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.setContent(html);
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      sections: [...document.querySelectorAll('td')]
        .filter((cell) => cell.children.length === 0)
        .map((cell) => cell.textContent ?? '')
        .filter((text) => /^(Headline figures|Projects, worst first|Top critical bugs|Pull requests|Job reliability)/.test(text)),
      scripts: document.querySelectorAll('script, img, iframe, object').length,
      reportWidth: Math.max(...[...document.querySelectorAll('table')].map((table) => table.getBoundingClientRect().width)),
    }));
    await page.screenshot({ path: path.join(ARTIFACTS_DIRECTORY, `weekly-report-${which}-${width}px.png`), fullPage: true });
    await page.close();
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
    expect(layout.sections.map((text) => text.split(' (')[0])).toEqual([
      'Headline figures',
      'Projects, worst first',
      'Top critical bugs',
      'Pull requests',
      'Job reliability',
    ]);
    expect(layout.scripts).toBe(0);
    expect(dialogs).toEqual([]);
    expect(layout.reportWidth).toBeLessThanOrEqual(width);
  });
});
