import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { buildApp } from '../../lib/app.ts';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';

/**
 * Builds the app in-process from cdk.json's context (plus overrides), with asset bundling skipped;
 * its output folder is removed after the test file.
 */
export function buildTestApp(overrides: Record<string, unknown> = {}) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-test-synth-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const context = readCdkContext(PROJECT_ROOT);
  return buildApp({
    outdir,
    now: new Date('2026-11-28T00:00:00Z'),
    context: { ...context, ...overrides, 'aws:cdk:bundling-stacks': [] },
  });
}
