import { describe, expect, it } from 'vitest';
import { chiSquareQuantile, logGamma, regularizedGamma } from './chi-square.js';

// scipy.stats.chi2 (scipy 1.10): ppf(0.5, df), isf(0.025, df), ppf(0.01, df).
const SCIPY: [number, number, number, number][] = [
  [1, 0.454936423119572, 5.02388618731489, 0.00015708785790970184],
  [2, 1.386294361119891, 7.3777589082278725, 0.020100671707002873],
  [3, 2.3659738843753377, 9.348403604496147, 0.11483180189911707],
  [10, 9.34181776559197, 20.48317735080739, 2.5582121601872063],
  [30, 29.336031516661585, 46.97924224367116, 14.953456528455435],
  [166, 165.33381140716105, 203.56724227213627, 126.57224609001939],
  [300, 299.33359734921805, 349.87446882991526, 245.97247921263673],
];

describe(chiSquareQuantile.name, () => {
  it("matches scipy's chi2 quantiles to 1e-12", () => {
    for (const [df, median, upper, lower] of SCIPY) {
      expect(Math.abs(chiSquareQuantile(0.5, df) / median - 1)).toBeLessThan(1e-12);
      expect(Math.abs(chiSquareQuantile(0.975, df) / upper - 1)).toBeLessThan(1e-12);
      expect(Math.abs(chiSquareQuantile(0.01, df) / lower - 1)).toBeLessThan(1e-12);
    }
  });

  it('inverts the regularized incomplete gamma function', () => {
    for (const df of [1, 4, 25]) {
      for (const p of [0.001, 0.3, 0.9, 0.999]) {
        expect(regularizedGamma(df / 2, chiSquareQuantile(p, df) / 2).p).toBeCloseTo(p, 13);
      }
    }
  });

  it('has the closed forms of the special cases', () => {
    // df = 2: exponential with mean 2, quantile −2·log(1 − p).
    expect(chiSquareQuantile(0.9, 2)).toBeCloseTo(-2 * Math.log(0.1), 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    const g = regularizedGamma(1, 2);
    expect(g.p).toBeCloseTo(1 - Math.exp(-2), 15);
    expect(g.q).toBeCloseTo(Math.exp(-2), 15);
  });

  it('rejects p outside (0, 1) and non-positive df', () => {
    expect(() => chiSquareQuantile(1, 3)).toThrow(/p must be in \(0, 1\), got 1/);
    expect(() => chiSquareQuantile(0.5, 0)).toThrow(/df must be positive, got 0/);
  });
});
