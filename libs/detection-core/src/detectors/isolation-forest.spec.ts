import { describe, expect, it } from 'vitest';
import { blobs, golden } from '../../test/helpers.js';
import { DetectionError, DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { rocAuc } from '../metrics/metrics.js';
import { IsolationForest } from './isolation-forest.js';
import { averagePathLength } from './path-length.js';

describe(IsolationForest.name, () => {
  const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });

  it('ranks planted outliers first', () => {
    const sut = new IsolationForest({ seed: 3 }).fit(X);
    expect(rocAuc(y, sut.trainingScores)).toBeGreaterThan(0.95);
  });

  it('scores in (0, 1], higher for an obvious outlier', () => {
    const sut = new IsolationForest({ seed: 3 }).fit(X);
    const [inlier, outlier] = sut.score([X.toRows()[y.indexOf(0)]!, [50, 50, 50, 50, 50, 50]]);
    expect(outlier).toBeGreaterThan(inlier!);
    for (const s of sut.trainingScores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same model and scores for the same seed, other scores for another', () => {
    const a = new IsolationForest({ seed: 11 }).fit(X).score(X);
    const b = new IsolationForest({ seed: 11 }).fit(X).score(X);
    const c = new IsolationForest({ seed: 12 }).fit(X).score(X);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('training scores equal score() of the training rows', () => {
    const sut = new IsolationForest({ seed: 5 }).fit(X);
    expect(sut.score(X)).toEqual(sut.trainingScores);
  });

  it('matches a plain recursive traversal of the stored trees', () => {
    const sut = new IsolationForest({ seed: 9, nEstimators: 20 }).fit(X);
    const doc = sut.toJSON();
    const state = doc.state as {
      samples: number;
      treeSizes: unknown;
      feature: unknown;
      value: unknown;
    };
    const decode = (
      a: unknown,
      C: typeof Float64Array | typeof Int32Array,
    ): Float64Array | Int32Array => {
      const bytes = Buffer.from((a as { base64: string }).base64, 'base64');
      return new C(bytes.buffer, bytes.byteOffset, bytes.byteLength / C.BYTES_PER_ELEMENT);
    };
    const sizes = decode(state.treeSizes, Int32Array);
    const feature = decode(state.feature, Int32Array);
    const value = decode(state.value, Float64Array);
    const rows = X.toRows().slice(0, 200);
    const expected = rows.map((x) => {
      let k = 0;
      let total = 0;
      for (const size of sizes) {
        const end = k + size;
        const walk = (depth: number, follow: boolean): number => {
          const f = feature[k]!;
          const v = value[k]!;
          k++;
          if (f < 0) return follow ? depth + averagePathLength(v) : 0;
          const goLeft = x[f]! <= v;
          const left = walk(depth + 1, follow && goLeft);
          const right = walk(depth + 1, follow && !goLeft);
          return left + right;
        };
        total += walk(0, true);
        expect(k).toBe(end);
      }
      return Math.pow(2, -total / sizes.length / averagePathLength(state.samples));
    });
    const actual = sut.score(rows);
    for (let i = 0; i < rows.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 12);
  });

  it("uses scikit-learn's average path length c(n)", () => {
    const ref = golden<{ iforest_c: number[] }>('misc').iforest_c;
    ref.forEach((c, i) => expect(averagePathLength(i + 1)).toBeCloseTo(c, 12));
  });

  it('round-trips through its model document with identical scores', () => {
    const sut = new IsolationForest({ seed: 2, contamination: 0.05 }).fit(X);
    const doc = JSON.parse(JSON.stringify(sut)) as unknown;
    const loaded = IsolationForest.fromJSON(doc);
    expect(loaded.score(X)).toEqual(sut.score(X));
    expect(loaded.threshold).toBe(sut.threshold);
    expect(loaded.predict(X)).toEqual(sut.predict(X));
  });

  it('explains scores with per-feature shares that sum to at most 1 and point at the odd feature', () => {
    const sut = new IsolationForest({ seed: 4 }).fit(X);
    const row = X.toRows()[y.indexOf(0)]!.slice();
    row[2] = 40;
    const e = sut.explain([row]);
    const shares = Array.from(e.contributions);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect(shares.indexOf(Math.max(...shares))).toBe(2);
    expect(e.featureNames).toEqual(X.featureNames);
  });

  it('handles constant columns and data smaller than maxSamples', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i % 7, 5, (i * 3) % 11]);
    const sut = new IsolationForest({ seed: 1 }).fit(rows);
    expect(sut.trainingScores.every(Number.isFinite)).toBe(true);
    const allConstant = new IsolationForest().fit([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    // Nothing can be isolated: every row sits in the root leaf, depth c(ψ), score 2^-1.
    for (const s of allConstant.trainingScores) expect(s).toBeCloseTo(0.5, 12);
  });

  it('caps the automatic height limit at 16 levels for very large sub-samples', () => {
    const big = blobs({ inliers: 70_000, outliers: 0, d: 2, seed: 4 }).X;
    const sut = new IsolationForest({ nEstimators: 2, maxSamples: 70_000, seed: 1 }).fit(big);
    expect((sut.toJSON().state as { maxDepth: number }).maxDepth).toBe(16);
    expect(IsolationForest.fromJSON(sut.toJSON()).score(big.toRows().slice(0, 5))).toEqual(
      sut.score(big.toRows().slice(0, 5)),
    );
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new IsolationForest({ nEstimators: 0 })).toThrow(/nEstimators/);
    expect(() => new IsolationForest({ maxSamples: 1.5 })).toThrow(/maxSamples/);
    expect(() => new IsolationForest({ nTrees: 5 } as object)).toThrow(
      /unknown parameter 'nTrees'/,
    );
  });

  it('rejects bad input with codes that name the problem', () => {
    const sut = new IsolationForest();
    expect(() => sut.score(X)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
    );
    expect(() => sut.fit([])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
    );
    expect(() => sut.fit([[1, 2], [3]])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.ShapeMismatch }),
    );
    expect(() =>
      sut.fit([
        [1, Number.NaN],
        [2, 3],
      ]),
    ).toThrow(/NaN \(missing\) at row 0, column 1/);
    sut.fit(X);
    expect(() => sut.score([[1, 2]])).toThrow(DetectionError);
    expect(() => sut.score([[1, 2]])).toThrow(/has 2 features, but the detector was fitted with 6/);
    expect(() => sut.score(new Matrix(new Float64Array([1, 2, 3, 4, 5, Infinity]), 1, 6))).toThrow(
      /Infinity at row 0, column 5/,
    );
  });
});
