import { describe, expect, it } from 'vitest';
import { blobs, maxAbsDiff } from '../../test/helpers.js';
import { Random } from '../core/random.js';
import { rocAuc } from '../metrics/metrics.js';
import { decodeArray } from '../model/encoding.js';
import { seal } from '../model/model-document.js';
import { HBOS } from './hbos.js';
import { birgeRozenholcBins, histogramEdges } from './histogram.js';

/**
 * Training rows with the awkward cases: a continuous column, an integer column whose values fall
 * exactly on bin edges (range 0..5, 10 bins), a constant column, and a heavy-tailed column.
 */
function awkward(n: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => [
    2 * rng.normal() + 1,
    Math.floor(6 * rng.uniform() ** 2),
    3,
    -Math.exp(rng.normal()),
  ]);
}

/** Rows to score: training-like ones, values just outside the range, and far outside. */
function probes(train: number[][]): number[][] {
  const cols = train[0]!.map((_, j) => train.map((r) => r[j]!));
  const lo = cols.map((c) => Math.min(...c));
  const hi = cols.map((c) => Math.max(...c));
  const width = lo.map((l, j) => (hi[j]! - l) / 10);
  return [
    ...train.slice(0, 20),
    lo.map((l, j) => l - 0.4 * width[j]!),
    hi.map((h, j) => h + 0.4 * width[j]!),
    lo.map((l, j) => l - 0.6 * width[j]!),
    hi.map((h) => h + 1e6),
    lo.map((l) => l - 1e6),
    [1, 2.5, 3.2, -1],
    [1, 2, 3, -1],
  ];
}

/** HBOS written straight from its definition: bins found by scanning, counts by filtering. */
function naiveHbos(
  train: number[][],
  rows: number[][],
  bins: number[],
  alpha: number,
  tol: number,
): number[][] {
  const n = train.length;
  const d = train[0]!.length;
  const tables = Array.from({ length: d }, (_, j) => {
    const col = train.map((r) => r[j]!);
    let lo = Math.min(...col);
    let hi = Math.max(...col);
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const B = bins[j]!;
    const edges = Array.from({ length: B + 1 }, (_, k) =>
      k === B ? hi : k * ((hi - lo) / B) + lo,
    );
    const inBin = (x: number, k: number): boolean =>
      edges[k]! <= x && (k === B - 1 ? x <= edges[B]! : x < edges[k + 1]!);
    const width = (hi - lo) / B;
    const terms = edges.slice(0, B).map((_, k) => {
      const c = col.filter((x) => inBin(x, k)).length;
      return -Math.log2(c / (n * width) + alpha);
    });
    return { lo, hi, width, terms, inBin };
  });
  return rows.map((row) =>
    row.map((x, j) => {
      const t = tables[j]!;
      const worst = Math.max(...t.terms);
      if (x < t.lo) return t.lo - x <= tol * t.width ? t.terms[0]! : worst;
      if (x > t.hi) return x - t.hi <= tol * t.width ? t.terms[t.terms.length - 1]! : worst;
      return t.terms[t.terms.findIndex((_, k) => t.inBin(x, k))]!;
    }),
  );
}

function naiveBirgeRozenholc(values: number[], maxBins: number): number {
  const n = values.length;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return 1;
  let best = 1;
  let bestValue = -Infinity;
  for (let D = 1; D <= maxBins; D++) {
    const edges = Array.from({ length: D + 1 }, (_, k) =>
      k === D ? hi : k * ((hi - lo) / D) + lo,
    );
    let value = -(D - 1 + Math.log(D) ** 2.5);
    for (let k = 0; k < D; k++) {
      const c = values.filter((x) => edges[k]! <= x && (k === D - 1 || x < edges[k + 1]!)).length;
      if (c > 0) value += c * Math.log((D * c) / n);
    }
    if (value > bestValue) {
      bestValue = value;
      best = D;
    }
  }
  return best;
}

const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);

describe(HBOS.name, () => {
  const train = awkward(300, 1);
  const rows = probes(train);

  it('matches a naive implementation, with ties on bin edges, a constant column and out-of-range values', () => {
    const sut = new HBOS().fit(train);
    const expected = naiveHbos(train, rows, [10, 10, 10, 10], 0.1, 0.5);
    expect(maxAbsDiff(sut.score(rows), expected.map(sum))).toBeLessThan(1e-9);
    expect(maxAbsDiff(sut.explain(rows).contributions, expected.flat())).toBeLessThan(1e-9);
  });

  it('matches the naive implementation for other nBins, alpha and tol', () => {
    const sut = new HBOS({ nBins: 7, alpha: 0.5, tol: 0 }).fit(train);
    const expected = naiveHbos(train, rows, [7, 7, 7, 7], 0.5, 0);
    expect(maxAbsDiff(sut.score(rows), expected.map(sum))).toBeLessThan(1e-9);
  });

  it("chooses 'auto' bins by the Birgé–Rozenholc criterion, per feature", () => {
    const cols = train[0]!.map((_, j) => train.map((r) => r[j]!));
    const maxBins = Math.floor(Math.sqrt(train.length));
    const expectedBins = cols.map((c) => naiveBirgeRozenholc(c, maxBins));
    cols.forEach((c, j) => {
      expect(birgeRozenholcBins(Float64Array.from(c).sort(), maxBins)).toBe(expectedBins[j]);
    });
    expect(expectedBins[2]).toBe(1);
    const sut = new HBOS({ nBins: 'auto' }).fit(train);
    const state = sut.toJSON().state as { bins: unknown };
    expect(Array.from(decodeArray(state.bins, 'int32', 'bins'))).toEqual(expectedBins);
    const expected = naiveHbos(train, rows, expectedBins, 0.1, 0.5);
    expect(maxAbsDiff(sut.score(rows), expected.map(sum))).toBeLessThan(1e-9);
  });

  it('places edges as numpy.histogram does, widening a constant range by 0.5', () => {
    expect(Array.from(histogramEdges(0, 1, 4))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(histogramEdges(3, 3, 2))).toEqual([2.5, 3, 3.5]);
    const wide = histogramEdges(-Number.MAX_VALUE, Number.MAX_VALUE, 4);
    expect(wide.every(Number.isFinite)).toBe(true);
  });

  it('explains with per-feature terms that sum to the score', () => {
    const sut = new HBOS().fit(train);
    const e = sut.explain(rows);
    for (let i = 0; i < rows.length; i++) {
      const terms = Array.from(e.contributions.subarray(i * 4, i * 4 + 4));
      expect(sum(terms)).toBeCloseTo(e.scores[i]!, 12);
    }
    expect(e.scores).toEqual(sut.score(rows));
  });

  it('gives far-out values the lowest density and keeps constant columns finite', () => {
    const sut = new HBOS().fit(train);
    const e = sut.explain([
      [1e9, 1, 3, -1],
      [1, 1, -1e9, -1],
    ]);
    // The constant column's histogram has empty bins, so far out reads −log2(0 + α).
    expect(e.contributions[6]).toBeCloseTo(-Math.log2(0.1), 12);
    expect(e.contributions[0]).toBeGreaterThanOrEqual(
      Math.max(...Array.from(sut.explain(train).contributions.filter((_, k) => k % 4 === 0))),
    );
    expect(Array.from(e.scores).every(Number.isFinite)).toBe(true);
    const allConstant = new HBOS().fit([
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    expect(
      Array.from(
        allConstant.score([
          [5, 5],
          [6, 4],
          [1e300, -1e300],
        ]),
      ).every(Number.isFinite),
    ).toBe(true);
    const M = Number.MAX_VALUE;
    const extreme = new HBOS().fit([
      [-M, 1e-320],
      [M, 2e-320],
      [0, 1e-320],
      [1, 0],
    ]);
    expect(Array.from(extreme.trainingScores).every(Number.isFinite)).toBe(true);
    expect(
      Array.from(
        extreme.score([
          [5, 5e-324],
          [M, -M],
        ]),
      ).every(Number.isFinite),
    ).toBe(true);
  });

  it('training scores equal score() of the training rows', () => {
    const sut = new HBOS().fit(train);
    expect(sut.score(train)).toEqual(sut.trainingScores);
  });

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new HBOS().fit(X).trainingScores)).toBeGreaterThan(0.9);
  });

  it('round-trips through its model document with identical scores', () => {
    for (const nBins of [10, 'auto'] as const) {
      const sut = new HBOS({ nBins, contamination: 0.05 }).fit(train);
      const loaded = HBOS.fromJSON(JSON.parse(JSON.stringify(sut)) as unknown);
      expect(loaded.score(rows)).toEqual(sut.score(rows));
      expect(loaded.explain(rows).contributions).toEqual(sut.explain(rows).contributions);
      expect(loaded.threshold).toBe(sut.threshold);
    }
  });

  it('rejects a model document whose histograms do not fit its parameters or its rows', () => {
    const doc = new HBOS().fit(train).toJSON();
    const otherBins = seal({ ...doc, params: { ...doc.params, nBins: 9 } });
    expect(() => HBOS.fromJSON(otherBins)).toThrow(/feature 0 has 10 bins, but nBins is 9/);
    const otherRows = seal({ ...doc, state: { ...doc.state, rows: 301 } });
    expect(() => HBOS.fromJSON(otherRows)).toThrow(/counts 300 values, not the 301 training rows/);
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new HBOS({ nBins: 0 })).toThrow(/nBins/);
    expect(() => new HBOS({ nBins: 2.5 })).toThrow(/nBins/);
    expect(() => new HBOS({ nBins: 'sturges' as 'auto' })).toThrow(/nBins/);
    expect(() => new HBOS({ alpha: 0 })).toThrow(/alpha/);
    expect(() => new HBOS({ alpha: 2 })).toThrow(/alpha/);
    expect(() => new HBOS({ tol: -0.1 })).toThrow(/tol/);
    expect(() => new HBOS({ bins: 5 } as object)).toThrow(/unknown parameter 'bins'/);
  });
});
