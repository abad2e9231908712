import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
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
