/**
 * Builds the browser app into apps/web/dist/ui: one minified ES module and one style sheet
 * under assets/ with content hashes in their names (so the server can cache them for a year),
 * and index.html pointing at them (served with no-cache, so a deploy shows at once). Prints
 * each file's size and gzip size: the bundle budget is checked by eye in review, and reported.
 *
 * Run by `nx run web:build` after `tsc` has compiled the server.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const APP_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(APP_ROOT, 'dist', 'ui');
const ASSETS = join(OUT, 'assets');
const ENTRY = join(APP_ROOT, 'src', 'client', 'main.ts');
/** Where the gateway routes the UI; the HTML uses absolute asset URLs so deep links work. */
const PUBLIC_PATH = '/ui/assets';

rmSync(OUT, { recursive: true, force: true });
mkdirSync(ASSETS, { recursive: true });

const result = await build({
  absWorkingDir: APP_ROOT,
  entryPoints: [ENTRY],
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers from 2023 on: native ES modules, optional chaining, top-level await.
  target: ['es2022', 'chrome111', 'edge111', 'firefox115', 'safari16'],
  outdir: ASSETS,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  charset: 'utf8',
  tsconfig: join(APP_ROOT, 'tsconfig.client.json'),
  logLevel: 'warning',
});

const entryKey = relative(APP_ROOT, ENTRY);
const output = Object.entries(result.metafile.outputs).find(
  ([, meta]) => meta.entryPoint === entryKey,
);
if (output === undefined) {
  throw new Error(`build-ui: esbuild produced no output for the entry point ${entryKey}`);
}
const [scriptPath, scriptMeta] = output;
const stylePath = scriptMeta.cssBundle;
if (stylePath === undefined) {
  throw new Error(`build-ui: ${entryKey} imports its style sheets, but no CSS bundle was written`);
}
const url = (file: string): string => `${PUBLIC_PATH}/${relative(ASSETS, join(APP_ROOT, file))}`;

const template = readFileSync(join(APP_ROOT, 'src', 'client', 'index.html'), 'utf8');
if (!template.includes('%SCRIPT%') || !template.includes('%STYLESHEET%')) {
  throw new Error('build-ui: src/client/index.html must contain %SCRIPT% and %STYLESHEET%');
}
const html = template.replace('%SCRIPT%', url(scriptPath)).replace('%STYLESHEET%', url(stylePath));
writeFileSync(join(OUT, 'index.html'), html);

const rows = [
  ['index.html', Buffer.from(html)],
  [relative(APP_ROOT, join(APP_ROOT, scriptPath)), readFileSync(join(APP_ROOT, scriptPath))],
  [relative(APP_ROOT, join(APP_ROOT, stylePath)), readFileSync(join(APP_ROOT, stylePath))],
] as const;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
let total = 0;
let totalGzip = 0;
for (const [name, bytes] of rows) {
  const gzip = gzipSync(bytes, { level: 9 }).length;
  total += bytes.length;
  totalGzip += gzip;
  process.stdout.write(
    `  ${name.padEnd(44)} ${kb(bytes.length).padStart(10)}  gzip ${kb(gzip).padStart(9)}\n`,
  );
}
process.stdout.write(
  `  ${'total'.padEnd(44)} ${kb(total).padStart(10)}  gzip ${kb(totalGzip).padStart(9)}\n`,
);
