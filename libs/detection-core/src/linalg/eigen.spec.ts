import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { symmetricEigen } from './eigen.js';

/** A random symmetric n × n matrix with entries in [−1, 1). */
function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rng.between(-1, 1);
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  }
  return A;
}

/** max |(A·V − V·Λ)_ij| and max |(VᵀV − I)_ij|. */
function residuals(
  A: Float64Array,
  values: Float64Array,
  V: Float64Array,
  n: number,
): { av: number; orth: number } {
  let av = 0;
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * V[j * n + k]!;
      av = Math.max(av, Math.abs(s - V[i * n + k]! * values[k]!));
      let g = 0;
      for (let j = 0; j < n; j++) g += V[j * n + i]! * V[j * n + k]!;
      orth = Math.max(orth, Math.abs(g - (i === k ? 1 : 0)));
    }
  }
  return { av, orth };
}

describe(symmetricEigen.name, () => {
  it('solves a 2 x 2 matrix exactly', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(vectors[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[2]).toBeCloseTo(Math.SQRT1_2, 14);
  });

  it('finds the known spectrum of the second-difference matrix', () => {
    // tridiag(−1, 2, −1) of order n has eigenvalues 2 − 2cos(kπ/(n + 1)), k = 1 … n.
    const n = 12;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = 2;
      if (i > 0) A[i * n + i - 1] = A[(i - 1) * n + i] = -1;
    }
    const { values } = symmetricEigen(A, n);
    for (let k = 1; k <= n; k++) {
      expect(values[n - k]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
    }
  });

  it('returns descending eigenvalues and orthonormal vectors with A·V = V·Λ', () => {
    for (const n of [1, 2, 3, 7, 40, 120]) {
      const A = randomSymmetric(n, n);
      const { values, vectors } = symmetricEigen(A, n);
      for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]!);
      const { av, orth } = residuals(A, values, vectors, n);
      expect(av).toBeLessThan(1e-12 * n);
      expect(orth).toBeLessThan(1e-13 * n);
    }
  });

  it('makes the largest component of every eigenvector positive', () => {
    const n = 9;
    const { vectors } = symmetricEigen(randomSymmetric(n, 5), n);
    for (let k = 0; k < n; k++) {
      let big = 0;
      for (let i = 0; i < n; i++)
        if (Math.abs(vectors[i * n + k]!) > Math.abs(big)) big = vectors[i * n + k]!;
      expect(big).toBeGreaterThan(0);
    }
  });

  it('handles diagonal, repeated, zero and rank-deficient matrices', () => {
    const diag = symmetricEigen(Float64Array.from([1, 0, 0, 0, 5, 0, 0, 0, 3]), 3);
    expect(Array.from(diag.values)).toEqual([5, 3, 1]);
    const identity = symmetricEigen(Float64Array.from([1, 0, 0, 1]), 2);
    expect(Array.from(identity.values)).toEqual([1, 1]);
    const zero = symmetricEigen(new Float64Array(9), 3);
    expect(Array.from(zero.values)).toEqual([0, 0, 0]);
    // u·uᵀ with u = (1, 2, 3): rank 1, eigenvalue ‖u‖² = 14.
    const u = [1, 2, 3];
    const outer = Float64Array.from({ length: 9 }, (_, k) => u[Math.floor(k / 3)]! * u[k % 3]!);
    const rank1 = symmetricEigen(outer, 3);
    expect(rank1.values[0]).toBeCloseTo(14, 13);
    expect(Math.abs(rank1.values[1]!)).toBeLessThan(1e-14);
    expect(Math.abs(rank1.values[2]!)).toBeLessThan(1e-14);
    expect(rank1.vectors[2 * 3]).toBeCloseTo(3 / Math.sqrt(14), 14);
  });

  it('reads only the lower triangle', () => {
    const a = symmetricEigen(Float64Array.from([4, 99, 1, 3]), 2);
    const b = symmetricEigen(Float64Array.from([4, 1, 1, 3]), 2);
    expect(a.values).toEqual(b.values);
  });

  it('rejects wrong sizes and non-finite entries', () => {
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(/needs 4 values, got 3/);
    expect(() => symmetricEigen(Float64Array.from([1, 0, Number.NaN, 1]), 2)).toThrow(
      /entry \(1, 0\) is NaN/,
    );
  });
});
