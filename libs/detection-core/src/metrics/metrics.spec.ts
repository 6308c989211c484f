import { describe, expect, it } from 'vitest';
import { golden } from '../../test/helpers.js';
import { averagePrecision, precisionAtN, rocAuc, spearman } from './metrics.js';

const misc = golden<{
  labels: number[];
  scores: number[];
  rocAuc: number;
  averagePrecision: number;
}>('misc');

describe(rocAuc.name, () => {
  it('equals scikit-learn on heavily tied scores', () => {
    expect(rocAuc(misc.labels, misc.scores)).toBeCloseTo(misc.rocAuc, 12);
  });

  it('is 1 for a perfect ranking, 0.5 for all-equal scores', () => {
    expect(rocAuc([0, 0, 1], [0.1, 0.2, 0.9])).toBe(1);
    expect(rocAuc([0, 1, 0, 1], [3, 3, 3, 3])).toBe(0.5);
  });

  it('rejects one-class labels, non-binary labels, NaN scores and length mismatches', () => {
    expect(() => rocAuc([1, 1], [0.1, 0.2])).toThrow(/both classes/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/must hold 0 or 1, got 2 at 1/);
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow(/NaN at 1/);
    expect(() => rocAuc([0, 1], [0.1])).toThrow(/differ in length/);
  });
});

describe(averagePrecision.name, () => {
  it('equals scikit-learn on heavily tied scores', () => {
    expect(averagePrecision(misc.labels, misc.scores)).toBeCloseTo(misc.averagePrecision, 12);
  });

  it('is 1 for a perfect ranking', () => {
    expect(averagePrecision([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])).toBe(1);
  });
});

describe(precisionAtN.name, () => {
  it('counts anomalies among the n highest scores (n = number of anomalies by default)', () => {
    expect(precisionAtN([1, 0, 1, 0], [0.9, 0.8, 0.1, 0.2])).toBe(0.5);
    expect(precisionAtN([1, 0, 1, 0], [0.9, 0.8, 0.1, 0.2], 1)).toBe(1);
    expect(() => precisionAtN([1, 0], [1, 2], 3)).toThrow(/1 <= n <= 2/);
  });
});

describe(spearman.name, () => {
  it('is 1 for monotone transforms and -1 for reversed order', () => {
    const a = [1, 5, 2, 8, 3];
    expect(
      spearman(
        a,
        a.map((x) => Math.exp(x)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        a,
        a.map((x) => -x),
      ),
    ).toBeCloseTo(-1, 12);
  });
});
