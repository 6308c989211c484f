import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import {
  cholesky,
  choleskyInverse,
  choleskySolve,
  invertLower,
  solveLower,
  solveLowerTransposed,
} from './cholesky.js';

/** B·Bᵀ + n·I for a random B: symmetric positive definite. */
function randomSpd(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const B = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s;
    }
  }
  return A;
}

function multiply(A: Float64Array, x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] = out[i]! + A[i * n + j]! * x[j]!;
  return out;
}

describe(cholesky.name, () => {
  it('factors a known matrix with its log-determinant', () => {
    const f = cholesky(Float64Array.from([4, 2, 2, 3]), 2)!;
    expect(Array.from(f.lower)).toEqual([2, 0, 1, Math.SQRT2]);
    expect(f.logDeterminant).toBeCloseTo(Math.log(8), 14);
  });

  it('reconstructs A = L·Lᵀ and solves A·x = b', () => {
    for (const n of [1, 3, 25]) {
      const A = randomSpd(n, n);
      const f = cholesky(A, n)!;
      let err = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += f.lower[i * n + k]! * f.lower[j * n + k]!;
          err = Math.max(err, Math.abs(s - A[i * n + j]!));
        }
      }
      expect(err).toBeLessThan(1e-12 * n);
      const b = Float64Array.from({ length: n }, (_, i) => i - 1);
      const x = choleskySolve(f, b);
      const back = multiply(A, x, n);
      for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(b[i]!, 10);
    }
  });

  it('agrees with the log of the determinant computed by expansion', () => {
    const A = Float64Array.from([6, 2, 1, 2, 5, 2, 1, 2, 4]);
    const det = 6 * (5 * 4 - 2 * 2) - 2 * (2 * 4 - 2 * 1) + 1 * (2 * 2 - 5 * 1);
    expect(cholesky(A, 3)!.logDeterminant).toBeCloseTo(Math.log(det), 13);
  });

  it('returns undefined for singular, indefinite or NaN matrices', () => {
    expect(cholesky(Float64Array.from([1, 1, 1, 1]), 2)).toBeUndefined();
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeUndefined();
    expect(cholesky(Float64Array.from([0, 0, 0, 1]), 2)).toBeUndefined();
    expect(cholesky(Float64Array.from([Number.NaN, 0, 0, 1]), 2)).toBeUndefined();
    // Nearly dependent columns: the pivot falls below the relative tolerance.
    expect(cholesky(Float64Array.from([1, 1, 1, 1 + 1e-14]), 2)).toBeUndefined();
  });

  it('inverts: triangular factor, then the whole matrix', () => {
    const n = 6;
    const A = randomSpd(n, 3);
    const f = cholesky(A, n)!;
    const W = invertLower(f.lower, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += W[i * n + k]! * f.lower[k * n + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    const inv = choleskyInverse(f);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        expect(inv[i * n + j]).toBe(inv[j * n + i]);
        let s = 0;
        for (let k = 0; k < n; k++) s += inv[i * n + k]! * A[k * n + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });

  it('solves triangular systems both ways', () => {
    const L = Float64Array.from([2, 0, 1, 4]);
    expect(Array.from(solveLower(L, 2, [4, 6]))).toEqual([2, 1]);
    expect(Array.from(solveLowerTransposed(L, 2, [5, 8]))).toEqual([1.5, 2]);
  });

  it('rejects wrong sizes', () => {
    expect(() => cholesky(new Float64Array(3), 2)).toThrow(/needs 4 values/);
    expect(() => solveLower(new Float64Array(4), 2, [1])).toThrow(/right-hand side has 1 values/);
  });
});
