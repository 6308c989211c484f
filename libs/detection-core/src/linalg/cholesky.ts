import { check } from '../core/errors.js';

/** A Cholesky factorization A = L·Lᵀ (see {@link cholesky}). */
export interface CholeskyFactor {
  /** Order of the matrix. */
  readonly n: number;
  /** Row-major `n × n` lower-triangular factor L with a positive diagonal; zeros above it. */
  readonly lower: Float64Array;
  /** log det A = 2 Σ log L_ii, finite even when det A itself under- or overflows. */
  readonly logDeterminant: number;
}

/**
 * Default relative pivot tolerance: a pivot below `tol · A_kk` means column k is, to working
 * precision, a linear combination of the earlier ones.
 */
export const CHOLESKY_TOLERANCE = 1e-12;

/**
 * Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix (Cholesky–Banachiewicz,
 * row by row; Golub & Van Loan, "Matrix Computations", 4th ed., §4.2). n³/6 multiply–adds.
 *
 * Returns `undefined` when A is not numerically positive definite: a pivot (the diagonal of the
 * Schur complement) is not above `relativeTolerance · A_kk`. That is the cheap singularity test
 * the MCD's C-steps need; {@link symmetricEigen} is the rank-revealing alternative.
 *
 * @param A row-major `n × n`; only the lower triangle is read.
 * @throws {DetectionError} `INVALID_ARGUMENT` when `A` does not hold n² values.
 * @example
 * const f = cholesky(Float64Array.from([4, 2, 2, 3]), 2);
 * // f.lower = [2, 0, 1, √2], f.logDeterminant = log 8
 */
export function cholesky(
  A: Float64Array,
  n: number,
  relativeTolerance = CHOLESKY_TOLERANCE,
): CholeskyFactor | undefined {
  check(Number.isInteger(n) && n >= 1, `cholesky: order must be a positive integer, got ${n}`);
  check(
    A.length === n * n,
    `cholesky: a ${n} x ${n} matrix needs ${n * n} values, got ${A.length}`,
  );
  const L = new Float64Array(n * n);
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = s / L[rj + j]!;
    }
    const a = A[ri + i]!;
    let s = a;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * L[ri + k]!;
    // Written as !(x > y) so that NaN is rejected too.
    if (!(a > 0) || !(s > relativeTolerance * a)) return undefined;
    const l = Math.sqrt(s);
    L[ri + i] = l;
    logDet += 2 * Math.log(l);
  }
  return { n, lower: L, logDeterminant: logDet };
}

/** Solves L·x = b by forward substitution, L lower triangular (row-major n × n); returns x. */
export function solveLower(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  check(b.length === n, `solveLower: the right-hand side has ${b.length} values, expected ${n}`);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * x[k]!;
    x[i] = s / L[ri + i]!;
  }
  return x;
}

/** Solves Lᵀ·x = b by back substitution, L lower triangular (row-major n × n); returns x. */
export function solveLowerTransposed(
  L: Float64Array,
  n: number,
  b: ArrayLike<number>,
): Float64Array {
  check(
    b.length === n,
    `solveLowerTransposed: the right-hand side has ${b.length} values, expected ${n}`,
  );
  const x = Float64Array.from(b);
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/**
 * Solves A·x = b given A's Cholesky factor (L·y = b, then Lᵀ·x = y).
 *
 * @example
 * const f = cholesky(A, n);
 * if (f !== undefined) x = choleskySolve(f, b);
 */
export function choleskySolve(f: CholeskyFactor, b: ArrayLike<number>): Float64Array {
  return solveLowerTransposed(f.lower, f.n, solveLower(f.lower, f.n, b));
}

/**
 * The inverse of a lower-triangular matrix (row-major n × n, non-zero diagonal), itself lower
 * triangular. With L from {@link cholesky}, ‖L⁻¹·x‖² = xᵀ·A⁻¹·x: the whitening map behind
 * Mahalanobis distances. n³/6 multiply–adds.
 */
export function invertLower(L: Float64Array, n: number): Float64Array {
  check(
    L.length === n * n,
    `invertLower: a ${n} x ${n} matrix needs ${n * n} values, got ${L.length}`,
  );
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i of L·W = I: W_ij = −(Σ_{j ≤ k < i} L_ik·W_kj)/L_ii, accumulated as row operations
    // (W row i += L_ik · W row k) so that every access runs along a row.
    for (let k = 0; k < i; k++) {
      const l = L[ri + k]!;
      if (l === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) W[ri + j] = W[ri + j]! + l * W[rk + j]!;
    }
    const inv = 1 / L[ri + i]!;
    for (let j = 0; j < i; j++) W[ri + j] = -W[ri + j]! * inv;
    W[ri + i] = inv;
  }
  return W;
}

/** A⁻¹ = L⁻ᵀ·L⁻¹ from A's Cholesky factor, exactly symmetric. */
export function choleskyInverse(f: CholeskyFactor): Float64Array {
  const { n } = f;
  const W = invertLower(f.lower, n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      // (Wᵀ·W)_ij = Σ_k W_ki·W_kj, non-zero for k ≥ max(i, j) = i.
      let s = 0;
      for (let k = i; k < n; k++) s += W[k * n + i]! * W[k * n + j]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
