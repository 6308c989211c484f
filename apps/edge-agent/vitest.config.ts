import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
