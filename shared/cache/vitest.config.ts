import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // See shared/testing/src/vitest-config.ts: one retry, visible in the output.
    retry: 1,
  },
});
