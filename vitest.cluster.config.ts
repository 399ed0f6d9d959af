import { configDefaults, defineConfig } from 'vitest/config';

// The cluster suite (scripts/test.sh's third run): the platform on a Temporal cluster in its
// production shape (scripts/cluster.sh), ONE cluster shared by the files, which run one after
// another since several of them stop or kill the cluster's services.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
