import { describe, expect, it } from 'vitest';
import { binCentres, binScores } from './histogram.js';

const sum = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0);

describe(binScores.name, () => {
  it('counts every finite score exactly once, the maximum in the last bin', () => {
    const scores = [0, 0.1, 0.2, 0.5, 0.9, 1];
    const histogram = binScores(scores, undefined, { bins: 5 });
    expect(histogram.edges).toHaveLength(6);
    expect(sum(histogram.normal) + sum(histogram.anomalous)).toBe(6);
    expect(histogram.normal[4]).toBe(2); // 0.9 and the maximum 1
    expect(histogram.total).toBe(6);
  });

  it('puts the threshold exactly on a bin edge, so no bin mixes both sides', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 5);
    const threshold = 6.123456;
    const histogram = binScores(scores, undefined, { bins: 20, threshold });
    expect(Array.from(histogram.edges)).toContain(threshold);
    const edge = Array.from(histogram.edges).indexOf(threshold);
    for (let bin = 0; bin < histogram.normal.length; bin++) {
      if (bin < edge) expect(histogram.anomalous[bin]).toBe(0);
      else expect(histogram.normal[bin]).toBe(0);
    }
    expect(sum(histogram.anomalous)).toBe(scores.filter((s) => s >= threshold).length);
    expect(histogram.edges[0]).toBeLessThanOrEqual(Math.min(...scores));
    expect(histogram.edges[histogram.edges.length - 1]).toBeGreaterThanOrEqual(Math.max(...scores));
  });

  it('widens the range to show a threshold outside the scores', () => {
    const histogram = binScores([1, 2, 3], undefined, { bins: 4, threshold: 10 });
    expect(histogram.edges[histogram.edges.length - 1]).toBeGreaterThanOrEqual(10);
    expect(Array.from(histogram.edges)).toContain(10);
    expect(sum(histogram.anomalous)).toBe(0);
  });

  it('counts by the labels when given, whatever the threshold says', () => {
    const histogram = binScores([0.1, 0.2, 0.9], [0, 1, 1], { bins: 2 });
    expect(sum(histogram.anomalous)).toBe(2);
    expect(sum(histogram.normal)).toBe(1);
  });

  it('leaves out and counts NaN and infinite scores', () => {
    const histogram = binScores([1, Number.NaN, 2, Number.POSITIVE_INFINITY], undefined, {
      bins: 2,
    });
    expect(histogram.total).toBe(2);
    expect(histogram.nonFinite).toBe(2);
    expect(sum(histogram.normal)).toBe(2);
  });

  it('draws constant scores as one bin around the value', () => {
    const histogram = binScores([4, 4, 4], undefined, {});
    expect(histogram.normal).toEqual(Uint32Array.of(3));
    expect(histogram.edges[0]).toBeLessThan(4);
    expect(histogram.edges[1]).toBeGreaterThan(4);
  });

  it('returns one empty bin for no scores', () => {
    const histogram = binScores([], undefined, { threshold: 0.5 });
    expect(histogram.total).toBe(0);
    expect(histogram.edges).toEqual(Float64Array.of(0, 1));
  });

  it('chooses √n bins between 10 and 60 by default', () => {
    expect(binScores(Array.from({ length: 4 }, (_, i) => i)).normal).toHaveLength(10);
    expect(binScores(Array.from({ length: 900 }, (_, i) => i)).normal).toHaveLength(30);
    expect(binScores(Array.from({ length: 300_000 }, (_, i) => i % 977)).normal).toHaveLength(60);
  });

  it('names its argument errors', () => {
    expect(() => binScores([1, 2], [1])).toThrow(/labels has 1 entries but scores has 2/);
    expect(() => binScores([1, 2], undefined, { bins: 0 })).toThrow(
      /bins must be a positive integer, got 0/,
    );
  });
});

describe(binCentres.name, () => {
  it('is the middle of each bin', () => {
    expect(Array.from(binCentres(binScores([0, 1], undefined, { bins: 2 })))).toEqual([0.25, 0.75]);
  });
});
