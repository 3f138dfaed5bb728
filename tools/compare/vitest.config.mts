import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The known-run test starts two user-service processes against the native stack; the page
    // test starts Chromium.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // One file at a time: the known run locks a table of the user service's test database.
    fileParallelism: false,
    // See shared/testing/src/vitest-config.ts: one retry, visible in the output.
    retry: 1,
  },
});
