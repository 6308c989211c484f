import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC emits the decorator metadata Nest's dependency injection reads (esbuild does not).
  plugins: [swc.vite({ module: { type: 'es6' }, tsconfigFile: 'tsconfig.spec.json' })],
  resolve: { conditions: ['@nomaly/source'] },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
