import { describe, expect, it } from 'vitest';
import { awkwardColumns, blobs, maxAbsDiff, tailProbes } from '../../test/helpers.js';
import { rocAuc } from '../metrics/metrics.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { seal } from '../model/model-document.js';
import { COPOD } from './copod.js';
import { ECOD } from './ecod.js';

/** Sample skewness m3 / m2^1.5, 0 for a constant column. */
function naiveSkewness(col: number[]): number {
  if (col.every((v) => v === col[0])) return 0;
  const m = col.reduce((s, v) => s + v, 0) / col.length;
  const m2 = col.reduce((s, v) => s + (v - m) ** 2, 0) / col.length;
  const m3 = col.reduce((s, v) => s + (v - m) ** 3, 0) / col.length;
  return m3 / m2 ** 1.5;
}

/** PyOD's COPOD aggregation with conformal tail probabilities, computed by counting. */
function naiveCopod(train: number[][], rows: number[][]): number[][] {
  const n = train.length;
  const cols = train[0]!.map((_, j) => train.map((r) => r[j]!));
  const skew = cols.map(naiveSkewness);
  return rows.map((x) =>
    x.map((v, j) => {
      const L = -Math.log((cols[j]!.filter((t) => t <= v).length + 1) / (n + 1));
      const R = -Math.log((cols[j]!.filter((t) => t >= v).length + 1) / (n + 1));
      return Math.max(skew[j]! < 0 ? L : R, (L + R) / 2);
    }),
  );
}

const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);

describe(COPOD.name, () => {
  const train = awkwardColumns(250, 3);
  const rows = tailProbes(train);

  it('matches a naive implementation, with ties, skew both ways and a constant column', () => {
    const sut = new COPOD().fit(train);
    const expected = naiveCopod(train, rows);
    expect(maxAbsDiff(sut.score(rows), expected.map(sum))).toBeLessThan(1e-9);
    expect(maxAbsDiff(sut.explain(rows).contributions, expected.flat())).toBeLessThan(1e-9);
    expect(maxAbsDiff(sut.trainingScores, naiveCopod(train, train).map(sum))).toBeLessThan(1e-9);
  });

  it('is not ECOD: the same tails aggregate differently', () => {
    const copod = new COPOD().fit(train).score(rows);
    const ecod = new ECOD().fit(train).score(rows);
    expect(maxAbsDiff(copod, ecod)).toBeGreaterThan(0.1);
  });

  it('explains with the per-feature O_j, which sum to the score', () => {
    const sut = new COPOD().fit(train);
    const e = sut.explain(rows);
    for (let i = 0; i < rows.length; i++) {
      expect(sum(Array.from(e.contributions.subarray(i * 5, i * 5 + 5)))).toBeCloseTo(
        e.scores[i]!,
        12,
      );
    }
  });

  it('keeps out-of-range values and constant columns finite', () => {
    const sut = new COPOD().fit(train);
    const s = sut.score([[1e12, -1e12, 1e12, -1e12, 1e12]]);
    expect(s[0]).toBeLessThanOrEqual(5 * Math.log(251) + 1e-9);
    // A constant column: its value scores 0; above it the right tail (γ = 0) wins; below it only
    // the two-sided mean (ln 4 + 0) / 2 is left.
    const c = new COPOD().fit([[1], [1], [1]]).score([[1], [2], [0]]);
    expect(maxAbsDiff(c, [0, Math.log(4), Math.log(4) / 2])).toBeLessThan(1e-15);
  });

  it('training scores equal score() of the training rows', () => {
    const sut = new COPOD().fit(train);
    expect(sut.score(train)).toEqual(sut.trainingScores);
  });

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new COPOD().fit(X).trainingScores)).toBeGreaterThan(0.9);
  });

  it('round-trips through its model document with identical scores', () => {
    const sut = new COPOD({ contamination: 0.05 }).fit(train);
    const loaded = COPOD.fromJSON(JSON.parse(JSON.stringify(sut)) as unknown);
    expect(loaded.score(rows)).toEqual(sut.score(rows));
    expect(loaded.threshold).toBe(sut.threshold);
  });

  it('rejects a model document whose columns are inconsistent', () => {
    const doc = new COPOD().fit(train).toJSON();
    const nanSkew = seal({
      ...doc,
      state: { ...doc.state, skewness: encodeArray(new Float64Array(5).fill(Number.NaN)) },
    });
    expect(() => COPOD.fromJSON(nanSkew)).toThrow(/the skewness of column 0 is not finite/);
    const descending = encodeArray(
      decodeArray(doc.state['values'], 'float64', 'values').slice().reverse(),
    );
    const unsorted = seal({ ...doc, state: { ...doc.state, values: descending } });
    expect(() => COPOD.fromJSON(unsorted)).toThrow(
      /the values of column 0 are not strictly ascending/,
    );
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new COPOD({ contamination: 0 })).toThrow(/contamination/);
    expect(() => new COPOD({ seed: 1 } as object)).toThrow(/unknown parameter 'seed'/);
  });
});
