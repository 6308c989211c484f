import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // The fault suites run a 286,048-row job to the end several times; on a 2-core machine
    // shared with the other projects' tests that takes minutes. Every wait inside is bounded.
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
