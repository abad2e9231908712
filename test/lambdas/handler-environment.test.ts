import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/job-function.ts';
import { readLocalStack, type CfnTemplate } from '../../lib/local/template.ts';
import { buildTestApp } from '../support/synth.ts';

const { app } = buildTestApp();
const template = app.synth().getStackByName('CtoDashboardJobs').template as CfnTemplate;
const functions = [...readLocalStack(template).functions.values()];

/** Imports a handler in a fresh process whose environment is only what its deployed function has. */
function loadWith(entry: string, environment: Readonly<Record<string, string>>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(path.join(PROJECT_ROOT, entry))})`],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH!, AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...environment },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('each deployed handler', () => {
  it.each(functions.map((fn) => [fn.entry, fn] as const))(
    'loads with only the environment its function is given (%s)',
    async (_entry, fn) => {
      const result = await loadWith(fn.entry, fn.environment);
      expect(result.stderr).not.toContain('ConfigError');
      expect(result.code).toBe(0);
    },
  );
});
