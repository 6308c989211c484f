import { describe, expect, it } from 'vitest';
import { awkwardColumns, blobs, maxAbsDiff, tailProbes } from '../../test/helpers.js';
import { Random } from '../core/random.js';
import { rocAuc } from '../metrics/metrics.js';
import { seal } from '../model/model-document.js';
import { sortAscending } from './ecdf.js';
import { ECOD } from './ecod.js';

/** ECOD as the reference implementation computes it, with conformal tail probabilities, by counting. */
function naiveEcod(train: number[][], rows: number[][]): { scores: number[]; terms: number[][] } {
  const n = train.length;
  const d = train[0]!.length;
  const cols = Array.from({ length: d }, (_, j) => train.map((r) => r[j]!));
  const terms = rows.map((x) =>
    x.map((v, j) => {
      const L = -Math.log((cols[j]!.filter((t) => t <= v).length + 1) / (n + 1));
      const R = -Math.log((cols[j]!.filter((t) => t >= v).length + 1) / (n + 1));
      return Math.max(L, R);
    }),
  );
  return { scores: terms.map((t) => t.reduce((s, v) => s + v, 0)), terms };
}

describe(ECOD.name, () => {
  const train = awkwardColumns(250, 2);
  const rows = tailProbes(train);

  it('matches a naive implementation, with ties, skew both ways and a constant column', () => {
    const sut = new ECOD().fit(train);
    const expected = naiveEcod(train, rows);
    expect(maxAbsDiff(sut.score(rows), expected.scores)).toBeLessThan(1e-9);
    expect(maxAbsDiff(sut.explain(rows).contributions, expected.terms.flat())).toBeLessThan(1e-9);
    expect(maxAbsDiff(sut.trainingScores, naiveEcod(train, train).scores)).toBeLessThan(1e-9);
  });

  it('matches the naive implementation on extreme and tiny value ranges', () => {
    const M = Number.MAX_VALUE;
    const extreme = [
      [-M, 1e-320],
      [M, 2e-320],
      [0, 1e-320],
      [1, 0],
      [1, 3e-320],
      [-1, 1e-320],
    ];
    const probe = [
      [0.5, 1.5e-320],
      [M, 0],
      [-M, 5e-320],
      [2, -1e-320],
      [-0, 1e-320],
    ];
    const sut = new ECOD().fit(extreme);
    expect(maxAbsDiff(sut.score(probe), naiveEcod(extreme, probe).scores)).toBeLessThan(1e-12);
    expect(maxAbsDiff(sut.trainingScores, naiveEcod(extreme, extreme).scores)).toBeLessThan(1e-12);
  });

  it('explains with the winning sum’s per-feature terms, which sum to the score', () => {
    const sut = new ECOD().fit(train);
    const e = sut.explain(rows);
    for (let i = 0; i < rows.length; i++) {
      const terms = Array.from(e.contributions.subarray(i * 5, i * 5 + 5));
      expect(terms.reduce((s, v) => s + v, 0)).toBeCloseTo(e.scores[i]!, 12);
    }
  });

  it('scores out-of-range values at most ln(n + 1) per feature and keeps constant columns finite', () => {
    const sut = new ECOD().fit(train);
    const e = sut.explain([[1e12, 1e12, 1e12, 1e12, 1e12]]);
    for (const t of e.contributions) expect(t).toBeLessThanOrEqual(Math.log(251) + 1e-12);
    expect(e.scores[0]).toBeCloseTo(5 * Math.log(251), 10);
    // The constant column: its own value is in both tails (term 0), any other value in one.
    const c = sut.explain([
      [1, 1, 3, -1, 0],
      [1, 1, 4, -1, 0],
    ]).contributions;
    expect(c[2]).toBe(0);
    const constant = new ECOD().fit([[1], [1], [1]]).score([[1], [2], [0]]);
    expect(maxAbsDiff(constant, [0, Math.log(4), Math.log(4)])).toBeLessThan(1e-15);
  });

  it('sorts training columns exactly as Float64Array.prototype.sort does', () => {
    const rng = new Random(7);
    const special = [0, -0, 5e-324, -5e-324, 1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
    const make = (i: number): number =>
      i % 5 === 0
        ? special[i % special.length]!
        : i % 5 === 1
          ? Math.round(rng.normal() * 50)
          : rng.normal() * 1e6;
    for (const n of [1000, 40_000]) {
      const a = Float64Array.from({ length: n }, (_, i) => make(i));
      const expected = a.slice().sort();
      sortAscending(a);
      expect(a.every((v, i) => Object.is(v, expected[i]))).toBe(true);
    }
  });

  it('training scores equal score() of the training rows', () => {
    const sut = new ECOD().fit(train);
    expect(sut.score(train)).toEqual(sut.trainingScores);
  });

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new ECOD().fit(X).trainingScores)).toBeGreaterThan(0.9);
  });

  it('round-trips through its model document with identical scores', () => {
    const sut = new ECOD({ contamination: 0.05 }).fit(train);
    const loaded = ECOD.fromJSON(JSON.parse(JSON.stringify(sut)) as unknown);
    expect(loaded.score(rows)).toEqual(sut.score(rows));
    expect(loaded.explain(rows).contributions).toEqual(sut.explain(rows).contributions);
    expect(loaded.threshold).toBe(sut.threshold);
  });

  it('rejects a model document whose columns are inconsistent', () => {
    const doc = new ECOD().fit(train).toJSON();
    expect(() => ECOD.fromJSON(seal({ ...doc, state: { ...doc.state, rows: 251 } }))).toThrow(
      /add up to 250, not 251/,
    );
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new ECOD({ contamination: 0.9 })).toThrow(/contamination/);
    expect(() => new ECOD({ nJobs: 2 } as object)).toThrow(/unknown parameter 'nJobs'/);
  });
});
