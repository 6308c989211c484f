import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { choleskyInverse, cholesky } from './cholesky.js';
import { mahalanobisSquared, whitening } from './whitening.js';

function wtw(W: Float64Array, rank: number, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += W[k * n + i]! * W[k * n + j]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

describe(whitening.name, () => {
  it('is the inverse Cholesky factor of a positive definite matrix', () => {
    const S = Float64Array.from([4, 2, 0, 2, 3, 1, 0, 1, 2]);
    const w = whitening(S, 3);
    expect(w.lowerTriangular).toBe(true);
    expect(w.rank).toBe(3);
    expect(w.logDeterminant).toBeCloseTo(Math.log(4 * 5 - 2 * 4), 13);
    const inv = choleskyInverse(cholesky(S, 3)!);
    const P = wtw(w.matrix, w.rank, 3);
    for (let k = 0; k < 9; k++) expect(P[k]).toBeCloseTo(inv[k]!, 13);
  });

  it('is the pseudo-inverse route for a singular matrix', () => {
    // Rank 1: S = u·uᵀ, S⁺ = u·uᵀ/‖u‖⁴.
    const u = [1, 2, 2];
    const S = Float64Array.from({ length: 9 }, (_, k) => u[Math.floor(k / 3)]! * u[k % 3]!);
    const w = whitening(S, 3);
    expect(w.lowerTriangular).toBe(false);
    expect(w.rank).toBe(1);
    expect(w.logDeterminant).toBe(-Infinity);
    const P = wtw(w.matrix, w.rank, 3);
    for (let k = 0; k < 9; k++) expect(P[k]).toBeCloseTo(S[k]! / 81, 14);
    expect(whitening(new Float64Array(4), 2).rank).toBe(0);
  });

  it('gives squared Mahalanobis distances, the same for a row wherever it sits', () => {
    const rng = new Random(2);
    const d = 5;
    const n = 11;
    const X = Float64Array.from({ length: n * d }, () => rng.normal());
    X.set(X.subarray(0, d), (n - 1) * d);
    const S = Float64Array.from([
      2, 0.5, 0, 0, 0.1, 0.5, 1, 0, 0, 0, 0, 0, 3, 0.2, 0, 0, 0, 0.2, 1, 0, 0.1, 0, 0, 0, 1,
    ]);
    const mean = Float64Array.from([0.1, -0.2, 0, 0.3, 0]);
    const w = whitening(S, d);
    const out = new Float64Array(n);
    mahalanobisSquared(w, X, n, mean, out);
    const inv = choleskyInverse(cholesky(S, d)!);
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++)
          q += (X[i * d + a]! - mean[a]!) * inv[a * d + b]! * (X[i * d + b]! - mean[b]!);
      }
      expect(out[i]).toBeCloseTo(q, 12);
    }
    expect(out[n - 1]).toBe(out[0]);
  });
});
