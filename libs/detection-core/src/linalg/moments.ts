import { check } from '../core/errors.js';

/** Column means and covariance matrix of a set of rows (see {@link meanAndCovariance}). */
export interface Moments {
  /** Number of rows used. */
  readonly count: number;
  /** Column means, length `cols`. */
  readonly mean: Float64Array;
  /** Row-major `cols × cols`, exactly symmetric. */
  readonly covariance: Float64Array;
}

export interface MomentOptions {
  /** Use only these rows (indices into the matrix), in this order; default all rows. */
  rows?: ArrayLike<number>;
  /** Divisor n − ddof: 0 (default) for the maximum-likelihood estimate, 1 for the unbiased one. */
  ddof?: number;
}

/**
 * Column means of a row-major `rows × cols` matrix, by the two-pass refinement
 * m = m₀ + Σ(x − m₀)/n, which removes most of the rounding error of the plain sum.
 *
 * @example
 * columnMeans(Float64Array.from([1, 2, 3, 4]), 2, 2); // [2, 3]
 */
export function columnMeans(data: Float64Array, rows: number, cols: number): Float64Array {
  return meanAndCovariance(data, cols, { rows: rangeOf(rows), ddof: 0 }).mean;
}

/**
 * Column means and covariance C = Σ (x − m)(x − m)ᵀ / (n − ddof) of the rows of a row-major
 * matrix with `cols` columns.
 *
 * Numerically careful: the corrected two-pass algorithm (Chan, Golub & LeVeque, "Algorithms for
 * computing the sample variance", The American Statistician 1983). A first pass gives the mean
 * m₀; the second accumulates s = Σ(x − m₀) and S = Σ(x − m₀)(x − m₀)ᵀ, and returns
 * m = m₀ + s/n and C = (S − s·sᵀ/n)/(n − ddof). The correction term cancels the first pass's
 * rounding error, so large offsets (a column of values near 10⁹ varying by 1) cost no accuracy,
 * unlike the one-pass Σx² − n·m² formula. The upper triangle of S is accumulated for four rows
 * at a time, so each entry of S is loaded and stored once per four rows.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` when there are no rows, or not more rows than ddof.
 * @example
 * const { mean, covariance } = meanAndCovariance(X.data, X.cols, { ddof: 1 });
 */
export function meanAndCovariance(
  data: Float64Array,
  cols: number,
  options: MomentOptions = {},
): Moments {
  check(
    Number.isInteger(cols) && cols >= 1,
    `meanAndCovariance: cols must be a positive integer, got ${cols}`,
  );
  const rows = options.rows ?? rangeOf(Math.floor(data.length / cols));
  const ddof = options.ddof ?? 0;
  const n = rows.length;
  check(n >= 1 && n > ddof, `meanAndCovariance: needs more than ${ddof} rows, got ${n}`);
  const d = cols;

  const total = Math.floor(data.length / d);
  const m0 = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    check(
      Number.isInteger(row) && row >= 0 && row < total,
      `meanAndCovariance: row index ${row} is outside [0, ${total})`,
    );
    const o = row * d;
    for (let j = 0; j < d; j++) m0[j] = m0[j]! + data[o + j]!;
  }
  for (let j = 0; j < d; j++) m0[j] = m0[j]! / n;

  const s = new Float64Array(d);
  const S = new Float64Array(d * d);
  // Four centred rows at a time, two rows of S per pass: each c value loaded feeds 8 products.
  // A last partial block is padded with zero rows, which add exactly nothing.
  const c = new Float64Array(4 * d);
  const d2 = 2 * d;
  const d3 = 3 * d;
  for (let r = 0; r < n; r += 4) {
    for (let b = 0; b < 4; b++) {
      const q = b * d;
      if (r + b >= n) {
        c.fill(0, q, q + d);
        continue;
      }
      const o = rows[r + b]! * d;
      for (let j = 0; j < d; j++) {
        const v = data[o + j]! - m0[j]!;
        c[q + j] = v;
        s[j] = s[j]! + v;
      }
    }
    let i = 0;
    for (; i + 2 <= d; i += 2) {
      const a0 = c[i]!;
      const a1 = c[d + i]!;
      const a2 = c[d2 + i]!;
      const a3 = c[d3 + i]!;
      const b0 = c[i + 1]!;
      const b1 = c[d + i + 1]!;
      const b2 = c[d2 + i + 1]!;
      const b3 = c[d3 + i + 1]!;
      const row = i * d;
      const next = row + d;
      S[row + i] = S[row + i]! + a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
      for (let j = i + 1; j < d; j++) {
        const c0 = c[j]!;
        const c1 = c[d + j]!;
        const c2 = c[d2 + j]!;
        const c3 = c[d3 + j]!;
        S[row + j] = S[row + j]! + a0 * c0 + a1 * c1 + a2 * c2 + a3 * c3;
        S[next + j] = S[next + j]! + b0 * c0 + b1 * c1 + b2 * c2 + b3 * c3;
      }
    }
    if (i < d) {
      const a0 = c[i]!;
      const a1 = c[d + i]!;
      const a2 = c[d2 + i]!;
      const a3 = c[d3 + i]!;
      const row = i * d;
      S[row + i] = S[row + i]! + a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
    }
  }

  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) mean[j] = m0[j]! + s[j]! / n;
  const covariance = new Float64Array(d * d);
  const div = n - ddof;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (S[i * d + j]! - (s[i]! * s[j]!) / n) / div;
      covariance[i * d + j] = v;
      covariance[j * d + i] = v;
    }
  }
  return { count: n, mean, covariance };
}

function rangeOf(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
