import { defineConfig } from 'vitest/config';

// End-to-end specs drive Debian's Chromium through playwright-core against the web host.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
