#!/usr/bin/env node
// Launcher for the compiled CLI: committed with its executable bit, so `npx nomaly` works
// whether or not the build kept file modes.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'nomaly: the CLI is not built yet; run `npm install` (or `npx nx build cli`) at the repository root\n',
  );
  process.exit(1);
}
await import(main.href);
