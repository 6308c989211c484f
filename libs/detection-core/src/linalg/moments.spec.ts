import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { columnMeans, meanAndCovariance } from './moments.js';

describe(meanAndCovariance.name, () => {
  it('computes means and the covariance of a small matrix', () => {
    const X = Float64Array.from([1, 2, 3, 6, 5, 10]);
    const { mean, covariance, count } = meanAndCovariance(X, 2);
    expect(count).toBe(3);
    expect(Array.from(mean)).toEqual([3, 6]);
    expect(Array.from(covariance)).toEqual([8 / 3, 16 / 3, 16 / 3, 32 / 3]);
    expect(Array.from(meanAndCovariance(X, 2, { ddof: 1 }).covariance)).toEqual([4, 8, 8, 16]);
  });

  it('matches a naive two-pass computation for any row count (blocked and tail rows)', () => {
    const rng = new Random(7);
    for (const [n, d] of [
      [1, 1],
      [5, 3],
      [13, 7],
      [64, 12],
    ] as const) {
      const X = Float64Array.from({ length: n * d }, () => rng.normal() * 3 + 1);
      const { mean, covariance } = meanAndCovariance(X, d);
      for (let j = 0; j < d; j++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += X[i * d + j]!;
        m /= n;
        expect(mean[j]).toBeCloseTo(m, 12);
        for (let k = 0; k < d; k++) {
          let mk = 0;
          for (let i = 0; i < n; i++) mk += X[i * d + k]!;
          mk /= n;
          let c = 0;
          for (let i = 0; i < n; i++) c += (X[i * d + j]! - m) * (X[i * d + k]! - mk);
          expect(covariance[j * d + k]).toBeCloseTo(c / n, 12);
          expect(covariance[j * d + k]).toBe(covariance[k * d + j]);
        }
      }
    }
  });

  it('keeps full accuracy under a large offset', () => {
    // 1e9 + {0, 1, 2, 3}: the one-pass formula Σx²/n − m² loses every digit here.
    const X = Float64Array.from([0, 1, 2, 3], (v) => 1e9 + v);
    const { mean, covariance } = meanAndCovariance(X, 1);
    expect(mean[0]).toBe(1e9 + 1.5);
    expect(covariance[0]).toBe(1.25);
  });

  it('uses only the given rows', () => {
    const X = Float64Array.from([1, 100, 3, 100, 5]);
    const { mean, covariance } = meanAndCovariance(X, 1, { rows: [0, 2, 4] });
    expect(mean[0]).toBe(3);
    expect(covariance[0]).toBeCloseTo(8 / 3, 14);
    expect(columnMeans(Float64Array.from([1, 2, 3, 4]), 2, 2)).toEqual(Float64Array.from([2, 3]));
  });

  it('rejects no rows, too few for ddof, and row indices out of range', () => {
    expect(() => meanAndCovariance(Float64Array.from([1, 2]), 1, { rows: [0, 2] })).toThrow(
      /row index 2 is outside \[0, 2\)/,
    );
    expect(() => meanAndCovariance(new Float64Array(0), 2)).toThrow(
      /needs more than 0 rows, got 0/,
    );
    expect(() => meanAndCovariance(Float64Array.from([1, 2]), 2, { ddof: 1 })).toThrow(
      /needs more than 1 rows, got 1/,
    );
  });
});
