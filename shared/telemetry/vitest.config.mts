import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most tests start a Node process with the OpenTelemetry SDK in it: about a second each.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
