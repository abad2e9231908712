/// <reference lib="dom" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { renderReportEmail } from '../../../shared/domain/report-email.ts';
import { ARTIFACTS_DIRECTORY, measureLayout, useLayoutPage } from '../../support/browser.ts';
import { DEMO_REPORT, FIRST_WEEK_REPORT, HOSTILE_REPORT, REPORT_SETTINGS } from '../../support/report-fixtures.ts';

/** The README's picture of the email: 600 px wide, demo data, small enough to commit. */
const README_IMAGE = path.join(PROJECT_ROOT, 'docs', 'images', 'weekly-email.png');
const README_IMAGE_MAX_BYTES = 150 * 1024;
/** How much of the email the README picture shows: the header band down to the projects table. */
const README_IMAGE_HEIGHT = 1064;

const REPORTS = { demo: DEMO_REPORT, hostile: HOSTILE_REPORT, 'first-week': FIRST_WEEK_REPORT } as const;
const WIDTHS = [375, 600, 1280] as const;
const ALLOWED_LINKS = [REPORT_SETTINGS.dashboardUrl!, REPORT_SETTINGS.consoleUrl!];
const GITHUB = 'https://github.com/';

/** What only the email has: its trend bars (cells with a height and a background) and its section headings. */
function emailParts(): { trendCells: number; headings: string[] } {
  return {
    trendCells: [...document.querySelectorAll('td[height]')].filter(
      (cell) => getComputedStyle(cell).backgroundColor !== 'rgba(0, 0, 0, 0)' && cell.getBoundingClientRect().height > 0,
    ).length,
    headings: [...document.querySelectorAll('td')]
      .filter((cell) => getComputedStyle(cell).fontSize === '17px')
      .map((cell) => (cell.textContent ?? '').split(' (')[0]!),
  };
}

describe('the weekly report email in headless Chromium', () => {
  const viewer = useLayoutPage();

  const render = async (which: keyof typeof REPORTS, width: number) => {
    await viewer.page.setViewportSize({ width, height: 900 });
    await viewer.page.setContent(renderReportEmail(REPORTS[which], 'github.com', REPORT_SETTINGS).html);
    await viewer.page.screenshot({ path: path.join(ARTIFACTS_DIRECTORY, `weekly-report-${which}-${width}px.png`), fullPage: true });
    return { ...(await viewer.page.evaluate(measureLayout)), ...(await viewer.page.evaluate(emailParts)) };
  };

  it.each((['demo', 'hostile'] as const).flatMap((which) => WIDTHS.map((width) => [which, width] as const)))(
    'lays the %s report out at %i px: no overflow, no mid-word break, numbers right-aligned, links to known hosts',
    async (which, width) => {
      const layout = await render(which, width);

      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.wordBreaks).toEqual([]);
      expect(layout.numericColumns).toBe(2 + 3 + 2 + 4);
      expect(layout.misalignedNumbers).toEqual([]);
      for (const link of layout.links) expect(link.startsWith(GITHUB) || ALLOWED_LINKS.includes(link), link).toBe(true);
      expect(layout.links.filter((link) => link.startsWith(GITHUB)).length).toBeGreaterThan(0);
      expect(layout.trendCells).toBe(2 * 8);
      expect(layout.headings).toEqual([
        'Headline figures',
        'Trends, last 8 weeks',
        'Projects, worst first',
        'Top critical bugs',
        'Pull requests',
        'Job reliability',
      ]);
      expect(viewer.dialogs).toEqual([]);
    },
  );

  it.each(WIDTHS)('shows no trend and no change column on the first week, at %i px', async (width) => {
    const layout = await render('first-week', width);

    expect(layout.trendCells).toBe(0);
    expect(layout.headings).not.toContain('Trends, last 8 weeks');
    expect(layout.numericColumns).toBe(1 + 3 + 2 + 4);
    expect(layout.misalignedNumbers).toEqual([]);
    expect(layout.wordBreaks).toEqual([]);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
  });

  it("keeps the README's picture of the email small: 600 px wide, at most 150 KB (UPDATE_README_IMAGES=1 redraws it)", async () => {
    if (process.env.UPDATE_README_IMAGES === '1') {
      await viewer.page.setViewportSize({ width: 600, height: README_IMAGE_HEIGHT });
      await viewer.page.setContent(renderReportEmail(DEMO_REPORT, 'github.com', REPORT_SETTINGS).html);
      fs.mkdirSync(path.dirname(README_IMAGE), { recursive: true });
      await viewer.page.screenshot({ path: README_IMAGE, clip: { x: 0, y: 0, width: 600, height: README_IMAGE_HEIGHT } });
    }
    const png = fs.readFileSync(README_IMAGE);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(600);
    expect(png.length).toBeLessThanOrEqual(README_IMAGE_MAX_BYTES);
  });
});
