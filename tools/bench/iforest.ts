/**
 * Isolation-forest speed: growing trees, scoring rows/s on a real data set, and scoring a
 * 1M × 16 matrix with its peak memory. Prints a table with the machine and versions; with
 * --sklearn it also runs scikit-learn's reference script back to back on the same machine.
 *
 *   npx tsx --conditions=@nomaly/source tools/bench/iforest.ts [--data DIR] [--runs N] [--sklearn]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IsolationForest, LIBRARY_VERSION, Matrix, Random, rocAuc } from '@nomaly/detection-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(HERE, '..', '..', '..', 'shared', 'datasets') },
    runs: { type: 'string', default: '7' },
    sklearn: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});
const runs = Number(values.runs);

/** 95% N(0, I), 5% Uniform[-6, 6]^d — the data of ../shared/reference/sklearn_scaling.py. */
function scalingData(n: number, d: number, seed: number): { X: Matrix; y: Uint8Array } {
  const rng = new Random(seed);
  const data = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const out = rng.uniform() < 0.05;
    y[i] = out ? 1 : 0;
    for (let j = 0; j < d; j++) data[i * d + j] = out ? rng.between(-6, 6) : rng.normal();
  }
  return { X: new Matrix(data, n, d), y };
}

function loadCsv(path: string): Matrix {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const d = lines[0]!.split(',').length - 1;
  const data = new Float64Array((lines.length - 1) * d);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    for (let j = 0; j < d; j++) data[(i - 1) * d + j] = Number(cells[j]);
  }
  return new Matrix(data, lines.length - 1, d);
}

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function stats(ms: number[]): { min: number; median: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

// Child mode: one measurement in a fresh process, so peak RSS belongs to it alone.
if (values.child === 'million') {
  const { X, y } = scalingData(1_000_000, 16, 123);
  const forest = new IsolationForest({ seed: 0 });
  const fitMs = timeMs(() => forest.fit(X));
  let scores: Float64Array = new Float64Array(0);
  const scoreMs = timeMs(() => (scores = forest.score(X)));
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ fitMs, scoreMs, maxRssMb, auc: rocAuc(y, scores) }));
  process.exit(0);
}

const rows: string[][] = [];
const cover = join(values.data, 'cover.csv');
if (existsSync(cover)) {
  const X = loadCsv(cover);
  const sample = X.selectRows(new Random(1).sample(X.rows, 256));
  // The first fits warm the JIT up; time the rest.
  for (let s = 0; s < 5; s++) new IsolationForest({ seed: 100 + s }).fit(sample);
  const grow = stats(
    Array.from({ length: runs }, (_, s) =>
      timeMs(() => new IsolationForest({ seed: s }).fit(sample)),
    ),
  );
  rows.push([
    'grow 100 trees (ψ = 256, rows of cover)',
    `${grow.min.toFixed(1)} ms`,
    `${grow.median.toFixed(1)} ms`,
    '',
  ]);
  const forest = new IsolationForest({ seed: 0 }).fit(X);
  const fit = stats(
    Array.from({ length: 3 }, (_, s) => timeMs(() => new IsolationForest({ seed: s }).fit(X))),
  );
  rows.push([
    `fit on cover (${X.rows} × ${X.cols}), incl. scoring the training rows`,
    `${fit.min.toFixed(0)} ms`,
    `${fit.median.toFixed(0)} ms`,
    '',
  ]);
  const score = stats(Array.from({ length: runs }, () => timeMs(() => forest.score(X))));
  rows.push([
    `score cover (${X.rows} rows)`,
    `${score.min.toFixed(0)} ms`,
    `${score.median.toFixed(0)} ms`,
    `${Math.round(X.rows / (score.median / 1000)).toLocaleString('en')} rows/s (median)`,
  ]);
} else {
  process.stderr.write(`no ${cover}: pass --data DIR with cover.csv for the real-data rows\n`);
}

const child = spawnSync(
  process.execPath,
  [...process.execArgv, fileURLToPath(import.meta.url), '--child', 'million'],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  },
);
if (child.status !== 0) throw new Error(`1M child failed: ${child.stderr}`);
const m = JSON.parse(child.stdout) as {
  fitMs: number;
  scoreMs: number;
  maxRssMb: number;
  auc: number;
};
rows.push([
  'fit + score 1,000,000 × 16 (synthetic, as sklearn_scaling.py)',
  '',
  `fit ${m.fitMs.toFixed(0)} ms, score ${m.scoreMs.toFixed(0)} ms`,
  `${Math.round(1e6 / (m.scoreMs / 1000)).toLocaleString('en')} rows/s, peak RSS ${m.maxRssMb.toFixed(0)} MB, ROC-AUC ${m.auc.toFixed(4)}`,
]);

const out = (s = ''): void => void process.stdout.write(`${s}\n`);
out(
  `isolation forest speed — detection-core ${LIBRARY_VERSION}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, single thread`,
);
out();
out('| measurement | min | median | throughput |');
out('|---|---:|---:|---|');
for (const r of rows) out(`| ${r.join(' | ')} |`);

if (values.sklearn) {
  const reference = resolve(values.data, '..', 'reference', 'sklearn_reference.py');
  const dir = mkdtempSync(join(tmpdir(), 'sk-'));
  out('\nscikit-learn, same machine, back to back:');
  execFileSync(
    '/usr/bin/python3',
    [
      reference,
      values.data,
      '--only',
      'cover',
      '--algos',
      'iforest',
      '--seeds',
      '3',
      '--out-csv',
      join(dir, 'r.csv'),
      '--out-md',
      join(dir, 'r.md'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}
