import { configDefaults, defineConfig } from 'vitest/config';

// scripts/test.sh runs the suite twice: on SQLite, then with TEST_DATABASE_URL on PostgreSQL.
// The second run leaves out the suites that never touch the database, and those about Temporal
// and observability rather than data (replayed histories, CLI, traces, metrics).
const DATABASE_FREE = [
  'test/resilience/**', 'test/plates.test.ts', 'test/ops/**',
  'test/replay.test.ts', 'test/cli.test.ts', 'test/tracing.test.ts', 'test/metrics.test.ts', 'test/contracts.test.ts',
  // SQLite's own adapter, on a file of its own.
  'test/sqlite-adapter.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster suite has a config and a global setup of its own (vitest.cluster.config.ts).
    exclude: [...configDefaults.exclude, 'test/cluster/**', ...(process.env.TEST_DATABASE_URL ? DATABASE_FREE : [])],
    globalSetup: ['test/support/global-setup.ts'],
    // Sagas run on a real server: generous timeouts, never timing assertions.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
