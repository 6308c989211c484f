/**
 * The evidence behind two defaults: the `auto` ensemble's members and the default threshold
 * rule for `contamination: 'auto'`. Fits every single detector once per data set (defaults,
 * seed 0), then scores every ensemble of up to four members (average and maximum of z-normalized
 * training scores) and every threshold rule, and prints both tables.
 *
 *   npx tsx --conditions=@nomaly/source tools/bench/selection.ts [--data DIR] [--top N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Matrix,
  THRESHOLD_RULES,
  averagePrecision,
  createDetector,
  fitThreshold,
  rocAuc,
  type Contamination,
  type ThresholdRule,
} from '@nomaly/detection-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(HERE, '..', '..', '..', 'shared', 'datasets') },
    top: { type: 'string', default: '10' },
  },
});
const SINGLES = ['iforest', 'eif', 'knn', 'lof', 'hbos', 'ecod', 'copod', 'loda', 'pca', 'mcd'];

function load(path: string): { X: Matrix; y: Uint8Array } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const d = lines[0]!.split(',').length - 1;
  const n = lines.length - 1;
  const data = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1]!.split(',');
    for (let j = 0; j < d; j++) data[i * d + j] = Number(cells[j]);
    y[i] = Number(cells[d]);
  }
  return { X: new Matrix(data, n, d), y };
}

interface Fitted {
  y: Uint8Array;
  /** z-normalized training scores per detector. */
  z: Map<string, Float64Array>;
}

const datasets: Fitted[] = [];
for (const file of readdirSync(values.data)
  .filter((f) => f.endsWith('.csv'))
  .sort()) {
  const { X, y } = load(join(values.data, file));
  const z = new Map<string, Float64Array>();
  for (const name of SINGLES) {
    const det = createDetector(name).fit(X);
    const { mean, std } = det.trainingSummary;
    z.set(
      name,
      det.trainingScores.map((s) => (s - mean) / (std > 0 ? std : 1)),
    );
    process.stderr.write(`\r${file} ${name}        `);
  }
  datasets.push({ y, z });
}
process.stderr.write('\n');

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const rows: { name: string; auc: number; ap: number; worst: number }[] = [];
for (let mask = 1; mask < 1 << SINGLES.length; mask++) {
  const members = SINGLES.filter((_, i) => (mask & (1 << i)) !== 0);
  if (members.length > 4) continue;
  for (const how of members.length === 1 ? ['average'] : ['average', 'maximum']) {
    const aucs: number[] = [];
    const aps: number[] = [];
    for (const { y, z } of datasets) {
      const cols = members.map((m) => z.get(m)!);
      const combined = cols[0]!.map((_, r) =>
        how === 'average'
          ? cols.reduce((s, c) => s + c[r]!, 0) / cols.length
          : Math.max(...cols.map((c) => c[r]!)),
      );
      aucs.push(rocAuc(y, combined));
      aps.push(averagePrecision(y, combined));
    }
    rows.push({
      name: `${how}(${members.join(', ')})`,
      auc: mean(aucs),
      ap: mean(aps),
      worst: Math.min(...aucs),
    });
  }
}
rows.sort((a, b) => b.auc - a.auc);
const out = (s = ''): void => void process.stdout.write(`${s}\n`);
const line = (r: (typeof rows)[number]): void =>
  out(`| ${r.name} | ${r.auc.toFixed(4)} | ${r.ap.toFixed(4)} | ${r.worst.toFixed(3)} |`);
out(
  `Ensembles over ${datasets.length} data sets (${rows.length} candidates), best ${values.top} by mean ROC-AUC:\n`,
);
out('| ensemble | mean ROC-AUC | mean AP | worst ROC-AUC |');
out('|---|---:|---:|---:|');
rows.slice(0, Number(values.top)).forEach(line);
out('\nSingle detectors and the `auto` preset:\n');
out('| detector | mean ROC-AUC | mean AP | worst ROC-AUC |');
out('|---|---:|---:|---:|');
rows.filter((r) => !r.name.includes(',') || r.name === 'average(iforest, ecod, mcd)').forEach(line);

const f1 = (y: Uint8Array, s: Float64Array, t: number): number => {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const flagged = s[i]! > t;
    if (flagged && y[i] === 1) tp++;
    else if (flagged) fp++;
    else if (y[i] === 1) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
};
out(`\nThreshold rules over ${SINGLES.length} detectors × ${datasets.length} data sets:\n`);
out('| rule | mean F1 | median share flagged | largest share flagged |');
out('|---|---:|---:|---:|');
const rules: [string, Contamination, ThresholdRule][] = [
  ...THRESHOLD_RULES.map((r): [string, Contamination, ThresholdRule] => [r, 'auto', r]),
  ['contamination 0.1', 0.1, 'mad'],
];
for (const [label, contamination, rule] of rules) {
  const scores: number[] = [];
  const shares: number[] = [];
  for (const { y, z } of datasets) {
    for (const s of z.values()) {
      const t = fitThreshold(s, contamination, rule);
      scores.push(f1(y, s, t));
      shares.push(s.filter((v) => v > t).length / s.length);
    }
  }
  shares.sort((a, b) => a - b);
  out(
    `| ${label} | ${mean(scores).toFixed(3)} | ${(100 * shares[Math.floor(shares.length / 2)]!).toFixed(1)}% | ${(100 * shares[shares.length - 1]!).toFixed(0)}% |`,
  );
}
