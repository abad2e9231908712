import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./bin/polyfills.ts'],
    pool: 'forks',
    // Vitest's default is one worker per core but one; on two cores that runs the files one at a time, while most
    // of a file's time is spent waiting on child processes, dynalite's worker thread and local servers.
    maxWorkers: '100%',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
