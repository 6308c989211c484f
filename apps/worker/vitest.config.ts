import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
