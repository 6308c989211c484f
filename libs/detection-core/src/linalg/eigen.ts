import { check } from '../core/errors.js';

/** Eigenvalues and eigenvectors of a real symmetric matrix (see {@link symmetricEigen}). */
export interface SymmetricEigen {
  /** Order of the matrix. */
  readonly n: number;
  /** The eigenvalues, descending. */
  readonly values: Float64Array;
  /**
   * Row-major `n × n`; column k (`vectors[i * n + k]`, i = 0 … n−1) is the unit eigenvector of
   * `values[k]`. The columns are orthonormal, so A = V·Λ·Vᵀ.
   */
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition of a real symmetric matrix, A·V = V·Λ.
 *
 * The matrix is reduced to tridiagonal form by Householder similarity transformations (`tred2`),
 * then diagonalized by the QL algorithm with implicit shifts (`tql2`): the EISPACK routines of
 * Bowdler, Martin, Reinsch & Wilkinson (Handbook for Automatic Computation, vol. II, Linear
 * Algebra, 1971), as ported in JAMA. Backward stable: the computed V·Λ·Vᵀ differs from A by a
 * few ulps of ‖A‖, and V is orthonormal to working precision. O(n³).
 *
 * Eigenvalues are returned in descending order. Each eigenvector's sign is fixed so that its
 * largest-magnitude component (the first one on ties) is positive, so the output does not depend
 * on sign choices inside the iteration.
 *
 * @param A row-major `n × n`; only the lower triangle is read (the matrix is taken as symmetric).
 * @throws {DetectionError} `INVALID_ARGUMENT` when `A` does not hold n² finite values.
 * @throws {Error} when the QL iteration does not converge (not observed on finite input).
 * @example
 * const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
 * // values = [3, 1]; vectors column 0 = [1, 1]/√2
 */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  check(
    Number.isInteger(n) && n >= 1,
    `symmetricEigen: order must be a positive integer, got ${n}`,
  );
  check(
    A.length === n * n,
    `symmetricEigen: a ${n} x ${n} matrix needs ${n * n} values, got ${A.length}`,
  );
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = A[i * n + j]!;
      check(Number.isFinite(v), `symmetricEigen: entry (${i}, ${j}) is ${v}, not a finite number`);
      V[i * n + j] = v;
      V[j * n + i] = v;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  return orderAndOrient(V, d, n);
}

/** Householder reduction of V (holding A) to tridiagonal form; V becomes the transformation. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    // Scale the row to avoid under- and overflow in the Householder vector.
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (d, e), accumulating the rotations into V. */
function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    // Find a negligible subdiagonal element: the matrix splits there.
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        // Each eigenvalue takes a handful of iterations; a bound guards against a defect looping.
        if (++iter > 100)
          throw new Error(
            `symmetricEigen: QL iteration did not converge (eigenvalue ${l} of ${n})`,
          );
        // Implicit Wilkinson-type shift from the leading 2 × 2 block.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        // Implicit QL transformation.
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            const row = k * n;
            h = V[row + i + 1]!;
            V[row + i + 1] = s * V[row + i]! + c * h;
            V[row + i] = c * V[row + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Sorts eigenpairs by descending eigenvalue and fixes each vector's sign. */
function orderAndOrient(V: Float64Array, d: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i);
  // Stable on ties, so equal eigenvalues keep the iteration's order.
  order.sort((a, b) => d[b]! - d[a]! || a - b);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const src = order[k]!;
    values[k] = d[src]!;
    let big = 0;
    let sign = 1;
    for (let i = 0; i < n; i++) {
      const v = V[i * n + src]!;
      if (Math.abs(v) > big) {
        big = Math.abs(v);
        sign = v < 0 ? -1 : 1;
      }
    }
    for (let i = 0; i < n; i++) vectors[i * n + k] = sign * V[i * n + src]!;
  }
  return { n, values, vectors };
}
