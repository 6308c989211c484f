import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ALGORITHM_NAMES,
  Matrix,
  Random,
  averagePrecision,
  createDetector,
  rocAuc,
} from '@nomaly/detection-core';
import { usageError } from '../cli-error.js';

export const DEMO_HELP = `Usage: nomaly demo [--rows N] [--dir DIR]

Generates a seeded sensor data set with three kinds of planted anomalies (spikes, broken
correlations, a drifted cluster), writes it to DIR/demo.csv (default .nomaly), compares detectors
on it, and explains the top anomalies feature by feature.
`;

const FEATURES = ['temperature', 'pressure', 'rpm', 'current', 'vibration', 'voltage'];

/** Seeded sensor readings; `label` 1 marks the planted anomalies. */
export function demoData(rows: number, seed = 42): { X: Matrix; y: Uint8Array; kinds: string[] } {
  const rng = new Random(seed);
  const d = FEATURES.length;
  const data = new Float64Array(rows * d);
  const y = new Uint8Array(rows);
  const kinds: string[] = new Array<string>(rows).fill('');
  for (let i = 0; i < rows; i++) {
    const temperature = 60 + 5 * rng.normal();
    const rpm = 1500 + 200 * rng.normal();
    const row = [
      temperature,
      2 + 0.05 * temperature + 0.1 * rng.normal(),
      rpm,
      0.01 * rpm + 0.3 * rng.normal(),
      0.5 + 0.05 * rng.normal(),
      230 + 2 * rng.normal(),
    ];
    const u = rng.uniform();
    if (u < 0.004) {
      row[4] = 0.5 + 8 * (0.2 + rng.uniform()) * 0.25; // vibration spike
      kinds[i] = 'vibration spike';
    } else if (u < 0.008) {
      row[3] = 0.004 * row[2]! + 0.3 * rng.normal(); // current too low for the rpm
      kinds[i] = 'current/rpm mismatch';
    } else if (u < 0.01) {
      row[0] = 85 + rng.normal(); // overheated, pressure not following
      kinds[i] = 'overheating';
    }
    if (kinds[i] !== '') y[i] = 1;
    data.set(row, i * d);
  }
  return { X: new Matrix(data, rows, d, FEATURES), y, kinds };
}

export function demo(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rows: { type: 'string', default: '20000' },
      dir: { type: 'string', default: '.nomaly' },
    },
  });
  if (positionals.length > 0)
    throw usageError(`demo takes no positional arguments\n\n${DEMO_HELP}`);
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 100 || rows > 5_000_000) {
    throw usageError(`--rows must be an integer between 100 and 5000000, got ${values.rows}`);
  }
  const { X, y, kinds } = demoData(rows);
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'demo.csv');
  const lines = [[...FEATURES, 'label'].join(',')];
  for (let i = 0; i < X.rows; i++)
    lines.push([...Array.from(X.row(i), (v) => v.toFixed(4)), y[i]].join(','));
  writeFileSync(file, `${lines.join('\n')}\n`);
  const out = (s = ''): void => void process.stdout.write(`${s}\n`);
  out(
    `Nomaly demo: ${X.rows.toLocaleString('en')} sensor readings × ${X.cols} features, ${y.reduce((a, b) => a + b, 0)} planted anomalies`,
  );
  out(`data written to ${file}\n`);
  out('| algorithm | ROC-AUC | AP | fit s |');
  out('|---|---:|---:|---:|');
  const candidates = [
    'iforest',
    'hbos',
    'ecod',
    'copod',
    'knn',
    'lof',
    'pca',
    'mcd',
    'auto',
  ].filter((a) => ALGORITHM_NAMES.includes(a));
  for (const name of candidates) {
    const t0 = performance.now();
    const det = createDetector(name, { contamination: 0.01 }).fit(X);
    const seconds = (performance.now() - t0) / 1000;
    out(
      `| ${name} | ${rocAuc(y, det.trainingScores).toFixed(4)} | ${averagePrecision(y, det.trainingScores).toFixed(4)} | ${seconds.toFixed(3)} |`,
    );
  }

  const forest = createDetector('iforest', { contamination: 0.01 }).fit(X);
  const explanation = forest.explain(X);
  const order = Array.from(explanation.scores.keys()).sort(
    (a, b) => explanation.scores[b]! - explanation.scores[a]!,
  );
  out('\nTop 10 anomalies by isolation forest, with the features that isolated them:');
  for (const i of order.slice(0, 10)) {
    const shares = FEATURES.map((f, j) => ({
      f,
      v: explanation.contributions[i * X.cols + j]!,
    })).sort((a, b) => b.v - a.v);
    const top = shares
      .slice(0, 2)
      .map(
        (s) => `${s.f} ${(100 * s.v).toFixed(0)}% (=${X.get(i, FEATURES.indexOf(s.f)).toFixed(2)})`,
      )
      .join(', ');
    out(
      `  row ${String(i + 1).padStart(6)}  score ${explanation.scores[i]!.toFixed(3)}  ${top}  [${kinds[i] || 'not planted'}]`,
    );
  }
  out(`\nNext: npx nomaly detect ${file} --algorithm auto --output scores.csv`);
}
