import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { erf, fitThreshold, toProbability } from './threshold.js';

describe(fitThreshold.name, () => {
  const scores = Array.from({ length: 101 }, (_, i) => i);

  it('flags the contamination share of the training scores', () => {
    expect(fitThreshold(scores, 0.1, 'iqr')).toBeCloseTo(90, 12);
    const t = fitThreshold(scores, 0.05, 'iqr');
    expect(scores.filter((s) => s > t).length).toBe(5);
  });

  it("applies Tukey's fence, the MAD rule and Otsu for contamination 'auto'", () => {
    // q1 = 25, q3 = 75: fence 75 + 1.5 * 50.
    expect(fitThreshold(scores, 'auto', 'iqr')).toBe(150);
    // median 50, MAD 25.
    expect(fitThreshold(scores, 'auto', 'mad')).toBeCloseTo(50 + 3 * 1.4826 * 25, 10);
    const rng = new Random(3);
    const bimodal = [
      ...Array.from({ length: 900 }, () => rng.normal()),
      ...Array.from({ length: 100 }, () => 8 + rng.normal()),
    ];
    const t = fitThreshold(bimodal, 'auto', 'otsu');
    expect(t).toBeGreaterThan(2);
    expect(t).toBeLessThan(6);
  });

  it('flags nothing when every score is equal', () => {
    for (const rule of ['iqr', 'mad', 'otsu'] as const) {
      const t = fitThreshold([2, 2, 2], 'auto', rule);
      expect([2, 2, 2].filter((s) => s > t)).toEqual([]);
    }
  });

  it('rejects a contamination outside (0, 0.5]', () => {
    expect(() => fitThreshold(scores, 0, 'iqr')).toThrow(/contamination must be in \(0, 0.5\]/);
    expect(() => fitThreshold(scores, 0.6, 'iqr')).toThrow(/contamination/);
  });
});

describe(toProbability.name, () => {
  const cal = {
    mean: 10,
    std: 2,
    min: 4,
    max: 20,
    sortedScores: Float64Array.from([4, 8, 10, 12, 20]),
  };

  it('unify: 0 at or below the training mean, erf-scaled above (Kriegel et al.)', () => {
    const p = toProbability([5, 10, 12, 30], 'unify', cal);
    expect(p[0]).toBe(0);
    expect(p[1]).toBe(0);
    expect(p[2]).toBeCloseTo(erf(1 / Math.SQRT2), 12);
    expect(p[3]).toBeCloseTo(1, 9);
  });

  it('linear: min-max over the training range, clipped', () => {
    expect(Array.from(toProbability([0, 12, 99], 'linear', cal))).toEqual([0, 0.5, 1]);
  });

  it('rank: share of training scores below', () => {
    expect(Array.from(toProbability([3, 10, 21], 'rank', cal))).toEqual([0, 0.4, 1]);
  });
});

describe(erf.name, () => {
  it('matches tabulated values to 1e-12', () => {
    expect(erf(0)).toBeCloseTo(0, 14);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 12);
    expect(erf(0.3)).toBeCloseTo(0.3286267594591274, 14);
    expect(erf(-1e-3)).toBeCloseTo(-0.0011283787909692365, 16);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 12);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 12);
    expect(erf(6)).toBeCloseTo(1, 14);
  });
});
