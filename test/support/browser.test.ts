import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findOrInstallChromium } from './browser.ts';

const directories: string[] = [];
/** A PATH of one empty folder, or of one holding an executable `name`. */
function pathWith(name?: string): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-browser-'));
  directories.push(directory);
  if (name) fs.writeFileSync(path.join(directory, name), '#!/bin/sh\n', { mode: 0o755 });
  return directory;
}
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  for (const directory of directories.splice(0)) fs.rmSync(directory, { recursive: true, force: true });
});

describe('finding Chromium for the browser tests', () => {
  it('names CHROMIUM_PATH when it points at nothing runnable', async () => {
    vi.stubEnv('CHROMIUM_PATH', '/nowhere/chromium');
    await expect(findOrInstallChromium()).rejects.toThrow(
      /^CHROMIUM_PATH=\/nowhere\/chromium is not an executable file; install Chromium/,
    );
  });

  it("takes the system's Chrome from PATH when there is no Chromium", async () => {
    vi.stubEnv('CHROMIUM_PATH', '');
    const directory = pathWith('google-chrome');
    vi.stubEnv('PATH', directory);
    await expect(findOrInstallChromium()).resolves.toBe(path.join(directory, 'google-chrome'));
  });

  it("says in one line what to install where it may not install Debian's package", async () => {
    vi.stubEnv('CHROMIUM_PATH', '');
    vi.stubEnv('PATH', pathWith());
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const failure = await findOrInstallChromium().catch((error: Error) => error.message);
    expect(failure).toMatch(
      /^Chromium not found on PATH \(chromium, .*\): install Chromium \(Debian: apt-get install chromium\) or set CHROMIUM_PATH/,
    );
    expect(failure).not.toContain('\n');
  });
});
