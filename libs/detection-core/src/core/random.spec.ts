import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

describe(Random.name, () => {
  it('repeats its stream for the same seed and differs for another', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('is uniform enough: mean, variance and bucket counts of 200k draws', () => {
    const rng = new Random(7);
    const n = 200_000;
    const buckets = new Int32Array(10);
    let sum = 0;
    let sq = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      sum += u;
      sq += u * u;
      buckets[Math.floor(u * 10)]!++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile.
    const chi = Array.from(buckets).reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9);
  });

  it('draws standard normals', () => {
    const rng = new Random(9);
    const xs = Array.from({ length: 100_000 }, () => rng.normal());
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
    expect(m).toBeCloseTo(0, 1);
    expect(v).toBeCloseTo(1, 1);
  });

  it('draws integers in range without bias', () => {
    const rng = new Random(5);
    const counts = new Int32Array(3);
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('samples distinct indices both for k ≪ n (Floyd) and k ≈ n (shuffle)', () => {
    const rng = new Random(1);
    for (const [n, k] of [
      [1_000_000, 256],
      [300, 256],
      [10, 10],
      [5, 0],
    ] as const) {
      const s = rng.sample(n, k);
      expect(s.length).toBe(k);
      expect(new Set(s).size).toBe(k);
      for (const v of s) expect(v >= 0 && v < n).toBe(true);
    }
    expect(() => rng.sample(3, 4)).toThrow(/cannot sample 4 distinct values out of 3/);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Random(1.5)).toThrow(/seed must be a safe integer/);
    expect(() => new Random(Number.NaN)).toThrow(/seed/);
  });
});
