import { check } from '../core/errors.js';
import { CHOLESKY_TOLERANCE, cholesky, invertLower } from './cholesky.js';
import { symmetricEigen } from './eigen.js';

/**
 * A whitening map of a covariance matrix S: a `rank × n` matrix W with Wᵀ·W = S⁺, so that
 * ‖W·(x − μ)‖² is the squared Mahalanobis distance (x − μ)ᵀ·S⁺·(x − μ). S⁺ is S⁻¹ when S is
 * positive definite, else the Moore–Penrose pseudo-inverse: distances are then measured in the
 * subspace where S has variance, and deviations along its null space count zero.
 */
export interface Whitening {
  /** Order of S. */
  readonly n: number;
  /** Number of rows of W: n when S is positive definite, else its numerical rank. */
  readonly rank: number;
  /** Row-major `rank × n`. */
  readonly matrix: Float64Array;
  /** W is lower triangular (the inverse Cholesky factor), which halves the cost of applying it. */
  readonly lowerTriangular: boolean;
  /** log det S; −Infinity when S is singular (the MCD's "exact fit"). */
  readonly logDeterminant: number;
}

/**
 * The whitening map of a symmetric positive semi-definite matrix (see {@link Whitening}).
 *
 * Positive definite S (every Cholesky pivot above `tolerance` times its diagonal entry): W = L⁻¹
 * from S = L·Lᵀ, n³/3 multiply–adds. Otherwise S is singular to working precision: W = Λ₊^(−½)·V₊ᵀ
 * from the eigendecomposition S = V·Λ·Vᵀ, keeping the eigenvalues above `tolerance · λ_max` — the
 * pseudo-inverse route of `scipy.linalg.pinvh`, with a tolerance that agrees with the Cholesky
 * test. A zero matrix gives rank 0: every distance is 0.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` when `S` does not hold n² finite values.
 * @example
 * const w = whitening(covariance, d);
 * const d2 = new Float64Array(rows);
 * mahalanobisSquared(w, data, rows, mean, d2);
 */
export function whitening(S: Float64Array, n: number, tolerance = CHOLESKY_TOLERANCE): Whitening {
  check(
    S.length === n * n,
    `whitening: a ${n} x ${n} matrix needs ${n * n} values, got ${S.length}`,
  );
  const f = cholesky(S, n, tolerance);
  if (f !== undefined) {
    return {
      n,
      rank: n,
      matrix: invertLower(f.lower, n),
      lowerTriangular: true,
      logDeterminant: f.logDeterminant,
    };
  }
  const { values, vectors } = symmetricEigen(S, n);
  const cutoff = tolerance * Math.max(values[0]!, 0);
  let rank = 0;
  while (rank < n && values[rank]! > cutoff) rank++;
  const W = new Float64Array(rank * n);
  let logDet = 0;
  for (let k = 0; k < rank; k++) {
    const s = 1 / Math.sqrt(values[k]!);
    logDet += Math.log(values[k]!);
    for (let j = 0; j < n; j++) W[k * n + j] = vectors[j * n + k]! * s;
  }
  return {
    n,
    rank,
    matrix: W,
    lowerTriangular: false,
    logDeterminant: rank < n ? -Infinity : logDet,
  };
}

/**
 * Squared Mahalanobis distances ‖W·(x_i − μ)‖² of `rows` rows of a row-major matrix with `w.n`
 * columns, written to `out`.
 *
 * Register-blocked for speed: four rows against two rows of W at a time, so each value loaded
 * feeds several products. A last partial block is padded with zero rows, so a row's distance does
 * not depend on its position (duplicate rows get bit-identical distances).
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` on inconsistent sizes.
 */
export function mahalanobisSquared(
  w: Whitening,
  data: Float64Array,
  rows: number,
  mean: Float64Array,
  out: Float64Array,
): void {
  const { n, rank, matrix: W, lowerTriangular } = w;
  check(
    data.length >= rows * n && mean.length === n && out.length >= rows,
    'mahalanobisSquared: inconsistent sizes',
  );
  const c = new Float64Array(4 * n);
  const n2 = 2 * n;
  const n3 = 3 * n;
  for (let r = 0; r < rows; r += 4) {
    const o = r * n;
    const valid = Math.min(4, rows - r);
    for (let b = 0; b < 4; b++) {
      const q = b * n;
      if (b >= valid) {
        c.fill(0, q, q + n);
        continue;
      }
      for (let j = 0; j < n; j++) c[q + j] = data[o + q + j]! - mean[j]!;
    }
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = 0;
    for (; i + 2 <= rank; i += 2) {
      const wr = i * n;
      const wq = wr + n;
      const lim = lowerTriangular ? i + 1 : n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let j = 0; j < lim; j++) {
        const v = W[wr + j]!;
        const u = W[wq + j]!;
        const c0 = c[j]!;
        const c1 = c[n + j]!;
        const c2 = c[n2 + j]!;
        const c3 = c[n3 + j]!;
        s0 += v * c0;
        s1 += v * c1;
        s2 += v * c2;
        s3 += v * c3;
        t0 += u * c0;
        t1 += u * c1;
        t2 += u * c2;
        t3 += u * c3;
      }
      if (lowerTriangular) {
        // Row i + 1 of a triangular W has one more entry than row i.
        const u = W[wq + i + 1]!;
        t0 += u * c[i + 1]!;
        t1 += u * c[n + i + 1]!;
        t2 += u * c[n2 + i + 1]!;
        t3 += u * c[n3 + i + 1]!;
      }
      a0 += s0 * s0 + t0 * t0;
      a1 += s1 * s1 + t1 * t1;
      a2 += s2 * s2 + t2 * t2;
      a3 += s3 * s3 + t3 * t3;
    }
    if (i < rank) {
      const wr = i * n;
      const lim = lowerTriangular ? i + 1 : n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < lim; j++) {
        const v = W[wr + j]!;
        s0 += v * c[j]!;
        s1 += v * c[n + j]!;
        s2 += v * c[n2 + j]!;
        s3 += v * c[n3 + j]!;
      }
      a0 += s0 * s0;
      a1 += s1 * s1;
      a2 += s2 * s2;
      a3 += s3 * s3;
    }
    out[r] = a0;
    if (valid > 1) out[r + 1] = a1;
    if (valid > 2) out[r + 2] = a2;
    if (valid > 3) out[r + 3] = a3;
  }
}
