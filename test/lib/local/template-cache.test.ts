import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CfnTemplate } from '../../../lib/local/template.ts';
import { cachedTemplate, templateKey } from '../../../lib/local/template-cache.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const template = (id: string): CfnTemplate => ({ Resources: { [id]: { Type: 'AWS::SNS::Topic' } } });

let directory: string;
beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-template-cache-'));
});
afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('the kept template', () => {
  it('synthesizes once for the same context and day, and returns the same template after', async () => {
    const synthesize = vi.fn(async () => template('Topic'));
    const first = await cachedTemplate({ ctoJobs: {} }, NOW, synthesize, directory);
    const second = await cachedTemplate({ ctoJobs: {} }, new Date('2026-12-01T23:59:00Z'), synthesize, directory);
    expect(synthesize).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
  });

  it('synthesizes again for another context or another day (the DST check looks ahead from the day)', async () => {
    const synthesize = vi.fn(async () => template('Topic'));
    await cachedTemplate({ ctoJobs: {} }, NOW, synthesize, directory);
    await cachedTemplate({ ctoJobs: { timeZone: 'Europe/Paris' } }, NOW, synthesize, directory);
    await cachedTemplate({ ctoJobs: {} }, new Date('2026-12-02T00:00:00Z'), synthesize, directory);
    expect(synthesize).toHaveBeenCalledTimes(3);
    expect(templateKey({ ctoJobs: {} }, NOW)).not.toBe(templateKey({ ctoJobs: { timeZone: 'Europe/Paris' } }, NOW));
  });

  it('keeps nothing when synthesis fails (a bad configuration is refused every time)', async () => {
    const refused = () =>
      cachedTemplate(
        { ctoJobs: { jobTimeoutMinutes: 0 } },
        NOW,
        async () => {
          throw new Error('ctoJobs.jobTimeoutMinutes: 0 is too small');
        },
        directory,
      );
    await expect(refused()).rejects.toThrow('jobTimeoutMinutes');
    await expect(refused()).rejects.toThrow('jobTimeoutMinutes');
    expect(fs.readdirSync(directory)).toEqual([]);
  });

  it('keeps the 20 most recently used templates', async () => {
    for (let day = 1; day <= 22; day++) {
      await cachedTemplate({ ctoJobs: {} }, new Date(Date.UTC(2026, 0, day)), async () => template(`Day${day}`), directory);
    }
    expect(fs.readdirSync(directory)).toHaveLength(20);
  });
});
