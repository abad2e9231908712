/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusPageHtml } from '../../../lib/cli/status-page.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { ARTIFACTS_DIRECTORY, measureLayout, useLayoutPage } from '../../support/browser.ts';
import { CONSOLE_ORIGIN, DEMO_STATUS, HOSTILE_STATUS } from '../../support/status-fixtures.ts';

/** The README's picture of the status page: 1280 px wide, demo data, cut below the job cards, small enough to commit. */
const README_IMAGE = path.join(PROJECT_ROOT, 'docs', 'images', 'status-page.png');
const README_IMAGE_MAX_BYTES = 150 * 1024;
const README_IMAGE_HEIGHT = 760;

const REPORTS = { demo: DEMO_STATUS, hostile: HOSTILE_STATUS } as const;
const WIDTHS = [375, 600, 1280] as const;
/** Three job cards, five figures each, and the "when" column of the failures, events and projects tables. */
const NUMERIC_COLUMNS = 3 * 5 + 3;

/** What only the status page has: its charts' axes, the projects' order, its times, its links and its "next run" lines. */
function pageParts() {
  const lastTable = [...document.querySelectorAll('section')].at(-1)!.querySelector('table');
  return {
    charts: [...document.querySelectorAll('figure svg')].map((svg) => ({
      xLabels: [...svg.querySelectorAll('text.x-label')].map((label) => label.textContent),
      yLabels: [...svg.querySelectorAll('text.y-label')].map((label) => label.textContent),
      marks: svg.querySelectorAll('rect.bar, circle').length,
    })),
    projects: [...(lastTable?.querySelectorAll('tr > td:first-child > .name') ?? [])].map((name) => name.textContent),
    // biome-ignore lint/performance/useDomNodeTextContent: the text as the reader sees it, not the hover titles
    text: document.body.innerText,
    times: [...document.querySelectorAll('time')].map((time) => ({ datetime: time.getAttribute('datetime'), title: time.title })),
    unsafeLinks: [...document.querySelectorAll('a')]
      .filter((link) => link.protocol !== 'https:' || !/\bnoopener\b/.test(link.rel))
      .map((link) => link.href),
    nextRunLines: [...document.querySelectorAll('article .nowrap')]
      .filter((span) => (span.textContent ?? '').startsWith('next run'))
      .map((span) => ({
        lines: new Set([...span.getClientRects()].map((rect) => Math.round(rect.top))).size,
        fits: span.getBoundingClientRect().right <= span.closest('article')!.getBoundingClientRect().right,
      })),
    scripts: document.querySelectorAll('script, [src], link').length,
    background: getComputedStyle(document.body).backgroundColor,
  };
}

describe('the status page in headless Chromium', () => {
  const viewer = useLayoutPage();

  const render = async (which: keyof typeof REPORTS, width: number, colorScheme: 'light' | 'dark' = 'light') => {
    await viewer.page.emulateMedia({ colorScheme });
    await viewer.page.setViewportSize({ width, height: 900 });
    await viewer.page.setContent(statusPageHtml(REPORTS[which]));
    const suffix = colorScheme === 'dark' ? '-dark' : '';
    await viewer.page.screenshot({ path: path.join(ARTIFACTS_DIRECTORY, `status-page-${which}-${width}px${suffix}.png`), fullPage: true });
    return { ...(await viewer.page.evaluate(measureLayout)), ...(await viewer.page.evaluate(pageParts)) };
  };

  it.each((['demo', 'hostile'] as const).flatMap((which) => WIDTHS.map((width) => [which, width] as const)))(
    'lays the %s status out at %i px: no overflow, no mid-word break, numbers right-aligned, safe links, labelled charts',
    async (which, width) => {
      const layout = await render(which, width);

      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.wordBreaks).toEqual([]);
      expect(layout.numericColumns).toBe(NUMERIC_COLUMNS);
      expect(layout.misalignedNumbers).toEqual([]);
      expect(layout.unsafeLinks).toEqual([]);
      for (const link of layout.links) expect(link.startsWith(CONSOLE_ORIGIN), link).toBe(true);
      expect(layout.links.length).toBe(REPORTS[which].recentFailures.length);
      // Success rate and duration per job, each with dates under it (the newest day always) and values beside it.
      expect(layout.charts).toHaveLength(6);
      for (const chart of layout.charts) {
        expect(chart.xLabels).toEqual(['16 Nov', '20 Nov', '24 Nov', '28 Nov']);
        expect(chart.yLabels).toHaveLength(3);
        expect(chart.marks).toBeGreaterThan(0);
      }
      expect(layout.charts[0]!.yLabels).toEqual(['0%', '50%', '100%']);
      expect(layout.nextRunLines).toEqual([
        { lines: 1, fits: true },
        { lines: 1, fits: true },
        { lines: 1, fits: true },
      ]);
      // One window everywhere, humanised times with the exact one on hover, no raw ISO instant.
      expect(layout.text).toContain('Jobs over 14 days');
      expect(layout.text).toContain('Failures over 14 days');
      expect(layout.text).not.toMatch(/\d{2}:\d{2}(:\d{2})?(\.\d{3})?Z|8 days|two weeks/);
      expect(layout.text).toMatch(/next run in \d+ h/);
      for (const time of layout.times) {
        expect(Number.isNaN(Date.parse(time.datetime!))).toBe(false);
        expect(time.title).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC$/);
      }
      expect(layout.scripts).toBe(0);
      expect(viewer.dialogs).toEqual([]);
    },
  );

  it('lists the projects worst first (never synced, critical, warning by score, healthy) with their freshness', async () => {
    const layout = await render('demo', 1280);

    expect(layout.projects).toEqual([
      'acme-demo/data-pipeline',
      'acme-demo/checkout-api',
      'acme-demo/web-storefront',
      'acme-demo/payments-service',
      'acme-demo/mobile-app',
      'acme-demo/docs',
    ]);
    // Events name their job, run and project; failures their job, error and time.
    expect(layout.text).toMatch(/hourly_metrics\s+run of 28 Nov 12:00\s+acme-demo\/checkout-api/);
    expect(layout.text).toMatch(/daily_sync\s+failed\s+GitHubRateLimitedError: secondary rate limit, retry after 60 s/);
    expect(layout.text).toMatch(/acme-demo\/checkout-api\s+failing 3 run\(s\) in a row since 2026-11-26 02:00 UTC/);
  });

  it('follows a dark system colour scheme', async () => {
    const light = await render('demo', 1280);
    const dark = await render('demo', 1280, 'dark');

    expect(light.background).toBe('rgb(246, 248, 250)');
    expect(dark.background).toBe('rgb(13, 17, 23)');
    expect(dark.wordBreaks).toEqual([]);
  });

  it("keeps the README's picture of the status page small: 1280 px wide, at most 150 KB (UPDATE_README_IMAGES=1 redraws it)", async () => {
    if (process.env.UPDATE_README_IMAGES === '1') {
      await viewer.page.emulateMedia({ colorScheme: 'light' });
      await viewer.page.setViewportSize({ width: 1280, height: README_IMAGE_HEIGHT });
      await viewer.page.setContent(statusPageHtml(DEMO_STATUS));
      fs.mkdirSync(path.dirname(README_IMAGE), { recursive: true });
      await viewer.page.screenshot({ path: README_IMAGE, clip: { x: 0, y: 0, width: 1280, height: README_IMAGE_HEIGHT } });
    }
    const png = fs.readFileSync(README_IMAGE);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.length).toBeLessThanOrEqual(README_IMAGE_MAX_BYTES);
  });
});
