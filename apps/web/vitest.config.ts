import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // The browser suite starts a whole stack (services, gateway, this server, Chromium) on a
    // 2-core machine: one file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
