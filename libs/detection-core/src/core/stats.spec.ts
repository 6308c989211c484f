import { describe, expect, it } from 'vitest';
import {
  averageRanks,
  countLess,
  countLessOrEqual,
  quantile,
  skewness,
  std,
  summarize,
} from './stats.js';

describe('stats', () => {
  it('interpolates quantiles as numpy does', () => {
    const a = [10, 2, 7, 4];
    // numpy.quantile([10, 2, 7, 4], [0, .1, .5, .9, 1]) = [2, 2.6, 5.5, 9.1, 10]
    expect(quantile(a, 0)).toBe(2);
    expect(quantile(a, 0.1)).toBeCloseTo(2.6, 12);
    expect(quantile(a, 0.5)).toBe(5.5);
    expect(quantile(a, 0.9)).toBeCloseTo(9.1, 12);
    expect(quantile(a, 1)).toBe(10);
  });

  it('sorts numerically, never as strings', () => {
    expect(quantile([10, 9, 100], 0)).toBe(9);
  });

  it('ranks ties by their average position', () => {
    expect(Array.from(averageRanks([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
  });

  it('counts below and up to a value', () => {
    const s = [1, 2, 2, 3];
    expect(countLess(s, 2)).toBe(1);
    expect(countLessOrEqual(s, 2)).toBe(3);
    expect(countLess(s, 0)).toBe(0);
    expect(countLessOrEqual(s, 9)).toBe(4);
  });

  it('gives population std and biased skewness, 0 for constants', () => {
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(1.25), 12);
    // scipy.stats.skew([1, 2, 3, 10]) = 1.0182337649086284
    expect(skewness([1, 2, 3, 10])).toBeCloseTo(1.0182337649086284, 12);
    expect(skewness([5, 5, 5])).toBe(0);
  });

  it('summarizes a score distribution', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toMatchObject({ count: 101, min: 0, max: 100, p50: 50, p99: 99, mean: 50 });
  });
});
