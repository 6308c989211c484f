/**
 * `npx nx run tools:check-charts`: installs the pinned helm (toolchain.ts), then renders and
 * checks every chart under charts/ with every ci/ profile, and the istio/ files (check.ts).
 * Prints a table per chart × profile and every error; exits 1 when there is any.
 */
import path from 'node:path';
import { checkCharts, formatReport } from './check.js';
import { ensureToolchain } from './toolchain.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const verbose = process.argv.includes('--verbose');
const log = verbose ? (line: string) => console.error(line) : undefined;

const toolchain = await ensureToolchain({ log: (line) => console.error(line) });
const result = await checkCharts({ root, helm: toolchain.helm, log });
console.log(formatReport(result));
process.exitCode = result.rows.some((row) => row.findings.length > 0) ? 1 : 0;
