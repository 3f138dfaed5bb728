import { defineConfig } from 'vitest/config';

/**
 * The vitest config of a service, whose tests run against the native stack: `export default
 * serviceTestConfig` in its vitest.config.ts. Kept out of the package index so that test code
 * importing `@cachelab/testing` does not load vitest's config API.
 */
export const serviceTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Migrates the service's test database once per run.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The files share one test database and some stop parts of Redis: one file at a time.
    fileParallelism: false,
    // One retry for a test that loses a race against the machine rather than against the code
    // (real servers on a shared 2-core box); a test that fails twice fails the run. Retries are
    // marked in the output ("retry x1"), so a flaky test stays visible.
    retry: 1,
  },
});
