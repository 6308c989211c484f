import { readFileSync } from 'node:fs';
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
  const centers = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.between(-4, 4)));
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
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return m;
}
