import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix, Random } from '../src/index.js';

/**
 * A seeded benchmark-like data set: `inliers` rows from a few Gaussian blobs and `outliers`
 * rows uniform over a wider box, shuffled. Label 1 = outlier.
 */
export function blobs(opts: {
  inliers: number;
  outliers: number;
  d: number;
  seed: number;
  centers?: number;
}): { X: Matrix; y: Uint8Array } {
  const { inliers, outliers, d, seed } = opts;
  const rng = new Random(seed);
  const k = opts.centers ?? 3;
  const centers = Array.from({ length: k }, () =>
    Array.from({ length: d }, () => rng.between(-4, 4)),
  );
  const n = inliers + outliers;
  const data = new Float64Array(n * d);
  const y = new Uint8Array(n);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order);
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    if (r < inliers) {
      const c = centers[r % k]!;
      for (let j = 0; j < d; j++) data[i * d + j] = c[j]! + rng.normal();
    } else {
      y[i] = 1;
      for (let j = 0; j < d; j++) data[i * d + j] = rng.between(-10, 10);
    }
  }
  return { X: new Matrix(data, n, d), y };
}

/** Reads `test/golden/NAME.json` (written by `tools/golden/make-golden.py`). */
export function golden<T>(name: string): T {
  const here = dirname(fileURLToPath(import.meta.url));
  return JSON.parse(readFileSync(join(here, 'golden', `${name}.json`), 'utf8')) as T;
}

/** The largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The largest relative difference |a − b| / max(|b|, floor). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++)
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return m;
}

/**
 * The folder of shared benchmark data sets and scikit-learn reference results, or undefined.
 * `NOMALY_SHARED_DIR` wins; else `../shared` beside the repository. A user's clone has none;
 * CI sets NOMALY_REQUIRE_SHARED=1 so that a missing folder fails instead of skipping.
 */
export function sharedDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env['NOMALY_SHARED_DIR'],
    join(here, '..', '..', '..', '..', 'shared'),
  ];
  const found = candidates.find(
    (c) => c !== undefined && c !== '' && existsSync(join(c, 'datasets')),
  );
  if (found === undefined && process.env['NOMALY_REQUIRE_SHARED'] === '1') {
    throw new Error(
      `NOMALY_REQUIRE_SHARED=1 but no shared folder with datasets/ was found (tried ${candidates.filter(Boolean).join(', ')})`,
    );
  }
  return found;
}

/** A labelled benchmark CSV (header f0…, label) as a matrix and labels. */
export function loadLabelledCsv(path: string): { X: Matrix; y: Uint8Array } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const d = header.length - 1;
  const n = lines.length - 1;
  const data = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1]!.split(',');
    for (let j = 0; j < d; j++) data[i * d + j] = Number(cells[j]);
    y[i] = Number(cells[d]);
  }
  return { X: new Matrix(data, n, d, header.slice(0, d)), y };
}

/** The rows of a CSV file (quoted fields allowed, no newlines inside them) keyed by the header. */
export function readCsvRecords(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = splitCsvLine(lines[0]!);
  return lines.slice(1).map((line) => {
    const cells = splitCsvLine(line);
    return Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']));
  });
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** The columns of a numeric CSV file with a header, by name. */
export function readNumericColumns(path: string): Record<string, number[]> {
  const records = readCsvRecords(path);
  const out: Record<string, number[]> = {};
  for (const key of Object.keys(records[0] ?? {})) out[key] = records.map((r) => Number(r[key]));
  return out;
}

/**
 * Training rows with ties, skew both ways and a constant column: continuous, a right-skewed
 * integer column, constant, a left-skewed column, a tied half-integer column (for the ECDF
 * detectors).
 */
export function awkwardColumns(n: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => [
    2 * rng.normal() + 1,
    Math.floor(6 * rng.uniform() ** 2),
    3,
    -Math.exp(rng.normal()),
    Math.round(4 * rng.normal()) / 2,
  ]);
}

/** Rows to score against `awkwardColumns` data: some training rows, far outliers, unseen values. */
export function tailProbes(train: number[][]): number[][] {
  return [
    ...train.slice(0, 30),
    [100, 100, 100, 100, 100],
    [-100, -100, -100, -100, -100],
    [1, 2.5, 3.5, -1, 0.25],
    [1, 2, 3, -1, 0],
  ];
}
