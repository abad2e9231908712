import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/constructs/job-function.ts';

/** Where tests leave screenshots for people to look at. */
export const ARTIFACTS_DIRECTORY = path.join(PROJECT_ROOT, 'test-artifacts');

/**
 * Debian's Chromium, headless (`apt-get install -y chromium`; never `npx playwright install`). Playwright
 * gives each launch a fresh temporary profile.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
