/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project.ts';

/** Where tests leave screenshots for people to look at. */
export const ARTIFACTS_DIRECTORY = path.join(PROJECT_ROOT, 'test-artifacts');

/** Time a browser test allows for finding Chromium, installing Debian's package on a fresh machine included. */
export const BROWSER_SETUP_TIMEOUT_MS = 10 * 60_000;

const run = promisify(execFile);

/** The names Chromium and Chrome go by on PATH, in the order users expect them to be preferred. */
const BROWSER_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];
// Ubuntu's chromium package is a snap stub that does not run in containers: there, CHROMIUM_PATH is the way.
const INSTALL_HINT = 'install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary';

let found: Promise<string> | undefined;

/**
 * Headless Chromium for the rendering tests (driven by playwright-core; never `npx playwright install`, whose
 * download fails where only package registries are reachable). Playwright gives each launch a fresh profile.
 * The background-networking flags keep Chromium from calling Google's hosts on a machine with a closed network.
 */
export async function launchChromium(): Promise<Browser> {
  found ??= findOrInstallChromium();
  return chromium.launch({
    executablePath: await found,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * One Chromium page for a layout test file: opened before its tests, closed after them. Every dialog a rendered page
 * opens is recorded (and dismissed), so a test can assert there was none.
 */
export function useLayoutPage(): { readonly page: Page; readonly dialogs: readonly string[] } {
  let browser: Browser | undefined;
  let page: Page | undefined;
  const dialogs: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    fs.mkdirSync(ARTIFACTS_DIRECTORY, { recursive: true });
  }, BROWSER_SETUP_TIMEOUT_MS);
  afterAll(() => browser?.close());
  return {
    get page() {
      if (!page) throw new Error('the layout page opens in beforeAll');
      return page;
    },
    dialogs,
  };
}

/**
 * `CHROMIUM_PATH`, else the system's Chromium or Chrome on PATH. Where there is none and the tests run as root on
 * Debian, installs Debian's `chromium` package as Playwright's `install --with-deps` installs browser dependencies
 * (apt-get, no recommends, the package lists refreshed when they do not know the package); elsewhere it fails
 * with one line that says what to install.
 * @throws Error naming CHROMIUM_PATH when it points at nothing runnable, or saying what to install.
 */
export async function findOrInstallChromium(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`CHROMIUM_PATH=${configured} is not an executable file; ${INSTALL_HINT}`);
    return configured;
  }
  const onPath = findOnPath();
  if (onPath) return onPath;
  if (process.getuid?.() !== 0 || !fs.existsSync('/etc/debian_version') || !findExecutable('apt-get')) {
    throw new Error(`Chromium not found on PATH (${BROWSER_COMMANDS.join(', ')}): ${INSTALL_HINT}`);
  }
  return withInstallLock(async () => findOnPath() ?? (await installDebianChromium()));
}

async function installDebianChromium(): Promise<string> {
  const install = () => aptGet('install', '-y', '--no-install-recommends', 'chromium');
  try {
    await install();
  } catch {
    // A fresh machine's package lists may not know the package yet.
    await aptGet('update');
    await install();
  }
  const installed = findOnPath();
  if (!installed) throw new Error(`apt-get installed chromium but no ${BROWSER_COMMANDS[0]} is on PATH; ${INSTALL_HINT}`);
  return installed;
}

async function aptGet(...args: string[]): Promise<void> {
  try {
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    const reason = stderr.trim().split('\n').filter(Boolean).at(-1) ?? (error as Error).message;
    throw new Error(`apt-get ${args.join(' ')} failed (${reason}); ${INSTALL_HINT}`);
  }
}

/**
 * Test files run in parallel processes: one installs, the others wait for it and then find its result. A waiter
 * that outlives the allowance takes the lock over; apt's own lock (DPkg::Lock::Timeout) still keeps two installs apart.
 */
async function withInstallLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), 'cto-jobs-chromium-install.lock');
  const deadline = Date.now() + BROWSER_SETUP_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the whole allowance was left by a killed process.
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      if (Date.now() > deadline || (held && Date.now() - held.mtimeMs > BROWSER_SETUP_TIMEOUT_MS))
        fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function findOnPath(): string | undefined {
  for (const command of BROWSER_COMMANDS) {
    const found = findExecutable(command);
    if (found) return found;
  }
  return undefined;
}

function findExecutable(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(directory, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A rendered page as a reader sees it, measured by {@link measureLayout}. */
export interface Layout {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly links: string[];
  /** Line breaks inside a word, with the part of the word (between `/`, `-`, `#` and spaces) they split. */
  readonly wordBreaks: { readonly before: string; readonly after: string; readonly part: string }[];
  /** Columns whose header is right-aligned, or whose cells are all numbers; with where their text sits. */
  readonly misalignedNumbers: string[];
  readonly numericColumns: number;
}

/**
 * Measures a rendered page (pass it to `page.evaluate`; it runs in the page and uses nothing from outside): its
 * overflow, its links, the line breaks inside words (found from where each character sits on the screen; a break
 * after `/` or `-`, before `#`, at a space or zero-width space, between two emoji, or inside a part of 16 characters
 * or more is fine), and the alignment of numeric table columns (a right-aligned header, or cells that all start with
 * a digit, `$` or `–`) from where their text ends.
 */
export function measureLayout(): Layout {
  const SENSIBLE_AFTER = new Set(['/', '-']);
  const EMOJI = /^[\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
  const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
  type Glyph = { readonly text: string; readonly top?: number; readonly bottom?: number; readonly gap: boolean };
  const glyphsOf = (block: Element): Glyph[] => {
    const glyphs: Glyph[] = [];
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node instanceof Element) {
        // A <br> ends a line on purpose.
        if (node.tagName === 'BR') glyphs.push({ text: '\n', gap: true });
        continue;
      }
      let offset = 0;
      for (const { segment } of segmenter.segment(node.textContent ?? '')) {
        const range = document.createRange();
        range.setStart(node, offset);
        range.setEnd(node, offset + segment.length);
        offset += segment.length;
        // A zero-width space is a break opportunity put there on purpose (it keeps clients from linking a URL).
        if (/^[\s\u200B]$/u.test(segment) && segment !== '\u00A0') {
          glyphs.push({ text: segment, gap: true });
          continue;
        }
        const rect = range.getBoundingClientRect();
        glyphs.push({ text: segment, top: rect.top, bottom: rect.bottom, gap: false });
      }
    }
    return glyphs;
  };
  const wordBreaks: Layout['wordBreaks'] = [];
  const blocks = [...document.querySelectorAll('td, th, p')].filter((block) => !block.querySelector('table, p'));
  for (const block of blocks) {
    const glyphs = glyphsOf(block);
    for (let index = 1; index < glyphs.length; index++) {
      const previous = glyphs[index - 1]!;
      const glyph = glyphs[index]!;
      if (previous.gap || glyph.gap || glyph.top! < previous.bottom! - 1) continue;
      if (SENSIBLE_AFTER.has(previous.text) || glyph.text === '#') continue;
      // Emoji are ideographs to the line breaker (Unicode UAX #14): a line may end between two of them.
      if (EMOJI.test(previous.text) && EMOJI.test(glyph.text)) continue;
      // The part of the word around the break, between spaces and the sensible break points.
      let start = index;
      while (start > 0 && !glyphs[start - 1]!.gap && !SENSIBLE_AFTER.has(glyphs[start - 1]!.text) && glyphs[start]!.text !== '#') start--;
      let end = index;
      while (end < glyphs.length && !glyphs[end]!.gap && !SENSIBLE_AFTER.has(glyphs[end - 1]!.text) && glyphs[end]!.text !== '#') end++;
      const part = glyphs.slice(start, end).map((each) => each.text);
      if (part.length < 16) {
        wordBreaks.push({ before: part.slice(0, index - start).join(''), after: part.slice(index - start).join(''), part: part.join('') });
      }
    }
  }

  const misalignedNumbers: string[] = [];
  let numericColumns = 0;
  const contentRight = (cell: Element) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return range.getBoundingClientRect().right;
  };
  const innerRight = (cell: Element) => cell.getBoundingClientRect().right - Number.parseFloat(getComputedStyle(cell).paddingRight);
  for (const table of document.querySelectorAll('table')) {
    const headers = [...table.querySelectorAll(':scope > tbody > tr > th')];
    if (headers.length === 0) continue;
    const rows = [...table.querySelectorAll(':scope > tbody > tr')].filter((row) => row.querySelector(':scope > td'));
    headers.forEach((header, column) => {
      const cells = rows.map((row) => row.children[column]!);
      const allNumbers = cells.length > 0 && cells.every((cell) => /^[–$\d]/.test((cell.textContent ?? '').trim()));
      const rightHeader = getComputedStyle(header).textAlign === 'right';
      if (!rightHeader && !allNumbers) return;
      numericColumns++;
      for (const cell of [header, ...cells]) {
        const aligned = getComputedStyle(cell).textAlign === 'right' && Math.abs(contentRight(cell) - innerRight(cell)) <= 1.5;
        if (!aligned) misalignedNumbers.push(`${header.textContent}: ${cell.textContent}`);
      }
    });
  }

  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    links: [...document.querySelectorAll('a')].map((link) => link.href),
    wordBreaks,
    misalignedNumbers,
    numericColumns,
  };
}
