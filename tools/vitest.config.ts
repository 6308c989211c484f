import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    // Rendering every chart with every profile runs helm dozens of times.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
