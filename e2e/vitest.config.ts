import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['test/**/*.spec.ts'],
    // Every file starts a whole stack (six processes) on a 2-core machine: at most two at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
