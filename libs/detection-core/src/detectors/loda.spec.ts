import { describe, expect, it } from 'vitest';
import { blobs, maxAbsDiff } from '../../test/helpers.js';
import { Random } from '../core/random.js';
import { rocAuc } from '../metrics/metrics.js';
import { decodeArray } from '../model/encoding.js';
import { seal } from '../model/model-document.js';
import { birgeRozenholcBins } from './histogram.js';
import { LODA } from './loda.js';

/** Training rows with ties, a constant column and skew. */
function awkward(n: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => [
    2 * rng.normal() + 1,
    Math.floor(6 * rng.uniform() ** 2),
    3,
    -Math.exp(rng.normal()),
    Math.round(4 * rng.normal()) / 2,
  ]);
}

function probes(train: number[][]): number[][] {
  return [
    ...train.slice(0, 30),
    [100, 100, 100, 100, 100],
    [-1e6, 0, 3, 0, 0],
    [1, 2.5, 3.5, -1, 0.25],
    [1, 1, 3, -1, 0],
  ];
}

interface Projections {
  features: Int32Array;
  weights: Float64Array;
  bins: Int32Array;
}

function projections(sut: LODA): Projections {
  const state = sut.toJSON().state;
  return {
    features: decodeArray(state['features'], 'int32', 'features'),
    weights: decodeArray(state['weights'], 'float64', 'weights'),
    bins: decodeArray(state['bins'], 'int32', 'bins'),
  };
}

/** The dense projection vector p. */
function dense(p: Projections, k: number, d: number, q: number): number[] {
  const s = p.features.length / k;
  const w = new Array<number>(d).fill(0);
  for (let t = 0; t < s; t++) w[p.features[q * s + t]!] = p.weights[q * s + t]!;
  return w;
}

/**
 * LODA from its definition, given the projection vectors: a histogram of each projection of the
 * training rows (bins found by scanning, counts by filtering), −mean ln density.
 */
function naiveLoda(train: number[][], rows: number[][], p: Projections): number[] {
  const n = train.length;
  const d = train[0]!.length;
  const k = p.bins.length;
  const eps = 1e-12;
  const perProjection = Array.from({ length: k }, (_, q) => {
    const w = dense(p, k, d, q);
    const dot = (x: number[]): number => x.reduce((s, v, j) => s + w[j]! * v, 0);
    const z = train.map(dot);
    let lo = Math.min(...z);
    let hi = Math.max(...z);
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const B = p.bins[q]!;
    const edges = Array.from({ length: B + 1 }, (_, b) =>
      b === B ? hi : b * ((hi - lo) / B) + lo,
    );
    const inBin = (v: number, b: number): boolean =>
      edges[b]! <= v && (b === B - 1 ? v <= edges[B]! : v < edges[b + 1]!);
    const width = (hi - lo) / B;
    const density = (c: number): number => (c + eps) / ((n + B * eps) * width);
    return (x: number[]): number => {
      const v = dot(x);
      if (!(v >= lo && v <= hi)) return -Math.log(density(0));
      const b = edges.findIndex((_, j) => j < B && inBin(v, j));
      return -Math.log(density(z.filter((t) => inBin(t, b)).length));
    };
  });
  return rows.map((x) => perProjection.reduce((s, f) => s + f(x), 0) / k);
}

describe(LODA.name, () => {
  const train = awkward(200, 4);
  const rows = probes(train);

  it('matches a naive implementation of its projections’ histograms, with ties, a constant column and out-of-range values', () => {
    const sut = new LODA({ nProjections: 25, seed: 5 }).fit(train);
    const expected = naiveLoda(train, rows, projections(sut));
    expect(maxAbsDiff(sut.score(rows), expected)).toBeLessThan(1e-9);
  });

  it("chooses 'auto' bins by the Birgé–Rozenholc criterion, per projection", () => {
    const sut = new LODA({ nProjections: 10, nBins: 'auto', seed: 6 }).fit(train);
    const p = projections(sut);
    for (let q = 0; q < 10; q++) {
      const w = dense(p, 10, 5, q);
      const z = Float64Array.from(train, (x) => x.reduce((s, v, j) => s + w[j]! * v, 0)).sort();
      expect(p.bins[q]).toBe(birgeRozenholcBins(z, Math.floor(Math.sqrt(200))));
    }
    expect(maxAbsDiff(sut.score(rows), naiveLoda(train, rows, p))).toBeLessThan(1e-9);
  });

  it('draws ceil(sqrt(d)) distinct features per projection with N(0, 1) weights', () => {
    const sut = new LODA({ nProjections: 400, seed: 1 }).fit(train);
    const p = projections(sut);
    expect(p.features.length).toBe(400 * 3);
    for (let q = 0; q < 400; q++)
      expect(new Set(p.features.subarray(q * 3, q * 3 + 3)).size).toBe(3);
    const w = Array.from(p.weights);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
  });

  it('gives the same model and scores for the same seed, other scores for another', () => {
    const a = new LODA({ seed: 11 }).fit(train);
    const b = new LODA({ seed: 11 }).fit(train);
    const c = new LODA({ seed: 12 }).fit(train);
    expect(b.toJSON().state).toEqual(a.toJSON().state);
    expect(b.score(rows)).toEqual(a.score(rows));
    expect(c.score(rows)).not.toEqual(a.score(rows));
  });

  it('training scores equal score() of the training rows, with or without kept bins', () => {
    // Fewer than 255 bins: fit reuses the bins it counted; 300 bins or 'auto': fit scores anew.
    for (const nBins of [10, 300, 'auto'] as const) {
      const sut = new LODA({ seed: 3, nBins, nProjections: 30 }).fit(train);
      expect(sut.score(train)).toEqual(sut.trainingScores);
    }
  });

  it('keeps out-of-range values and constant columns finite, and scores far-out rows highest', () => {
    const sut = new LODA({ seed: 2 }).fit(train);
    const far = sut.score([[1e6, 1e6, 1e6, 1e6, 1e6]])[0]!;
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeGreaterThan(Math.max(...sut.trainingScores));
    const allConstant = new LODA({ seed: 2 }).fit([
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
    // Projections of values near ±Number.MAX_VALUE overflow; they count as outside every histogram.
    const M = Number.MAX_VALUE;
    const extreme = new LODA({ seed: 2 }).fit([
      [-M, M, 1e-320],
      [M, M, 2e-320],
      [0, 1, 1e-320],
      [1, 0, 0],
    ]);
    expect(Array.from(extreme.trainingScores).every(Number.isFinite)).toBe(true);
    expect(
      Array.from(
        extreme.score([
          [M, -M, 5e-324],
          [1, 1, 1],
        ]),
      ).every(Number.isFinite),
    ).toBe(true);
  });

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new LODA({ seed: 1 }).fit(X).trainingScores)).toBeGreaterThan(0.9);
  });

  it('explains nothing per feature', () => {
    const sut = new LODA().fit(train);
    expect(sut.explainable).toBe(false);
    expect(() => sut.explain(rows)).toThrow(/does not explain/);
  });

  it('round-trips through its model document with identical scores', () => {
    for (const nBins of [10, 'auto'] as const) {
      const sut = new LODA({ nBins, seed: 9, contamination: 0.05 }).fit(train);
      const loaded = LODA.fromJSON(JSON.parse(JSON.stringify(sut)) as unknown);
      expect(loaded.score(rows)).toEqual(sut.score(rows));
      expect(loaded.threshold).toBe(sut.threshold);
    }
  });

  it('rejects a model document whose projections do not fit its parameters', () => {
    const doc = new LODA({ nProjections: 20 }).fit(train).toJSON();
    expect(() =>
      LODA.fromJSON(seal({ ...doc, params: { ...doc.params, nProjections: 21 } })),
    ).toThrow(/state.features must hold 63 values/);
    expect(() => LODA.fromJSON(seal({ ...doc, params: { ...doc.params, nBins: 12 } }))).toThrow(
      /projection 0 has 10 bins, but nBins is 12/,
    );
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new LODA({ nProjections: 0 })).toThrow(/nProjections/);
    expect(() => new LODA({ nBins: -1 })).toThrow(/nBins/);
    expect(() => new LODA({ seed: 1.5 })).toThrow(/seed/);
    expect(() => new LODA({ nRandomCuts: 5 } as object)).toThrow(/unknown parameter 'nRandomCuts'/);
  });
});
