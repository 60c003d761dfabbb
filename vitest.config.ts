import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Isolates need a process started with --no-node-snapshot (isolated-vm's README),
    // and a child process per test file keeps a crashing isolate from taking the runner down.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
