import { describe, expect, it } from 'vitest';
import { blobs, golden, maxRelDiff } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { rocAuc } from '../metrics/metrics.js';
import { seal, type ModelDocument } from '../model/model-document.js';
import { KNN, KNN_METHODS } from './knn.js';

interface Golden {
  X: number[][];
  y: number[];
  trainRows: number;
  [key: string]: unknown;
}

const GOLDEN_SETS = ['blobs', 'ties', 'wide', 'constant'] as const;

describe(KNN.name, () => {
  for (const set of GOLDEN_SETS) {
    const g = golden<Golden>(set);
    for (const method of KNN_METHODS) {
      it(`matches scikit-learn on '${set}' (${method}): training scores leave each row out`, () => {
        const sut = new KNN({ nNeighbors: 5, method }).fit(g.X);
        expect(maxRelDiff(sut.trainingScores, g[`knn5_${method}`] as number[])).toBeLessThan(1e-9);
      });

      it(`matches scikit-learn on '${set}' (${method}): new rows against all training rows`, () => {
        const sut = new KNN({ nNeighbors: 5, method }).fit(g.X.slice(0, g.trainRows));
        const scores = sut.score(g.X.slice(g.trainRows));
        expect(maxRelDiff(scores, g[`knn5_${method}_novel`] as number[])).toBeLessThan(1e-9);
      });
    }
  }

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new KNN().fit(X).trainingScores)).toBeGreaterThan(0.95);
  });

  it('gives identical scores for the same data, fit after fit', () => {
    const { X } = blobs({ inliers: 400, outliers: 20, d: 5, seed: 8 });
    const a = new KNN({ method: 'mean' }).fit(X);
    const b = new KNN({ method: 'mean' }).fit(X);
    expect(b.trainingScores).toEqual(a.trainingScores);
    expect(b.score(X)).toEqual(a.score(X));
  });

  it('counts an exact duplicate as a neighbour at distance 0', () => {
    const rows = [
      [0, 0],
      [0, 0],
      [3, 4],
      [10, 10],
    ];
    const scores = new KNN({ nNeighbors: 1 }).fit(rows).trainingScores;
    expect(Array.from(scores)).toEqual([0, 0, 5, Math.sqrt(85)]);
  });

  it('never produces NaN on constant columns or all-equal rows', () => {
    const { X } = golden<Golden>('constant');
    expect(new KNN().fit(X).trainingScores.every(Number.isFinite)).toBe(true);
    const flat = new KNN().fit([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    expect(Array.from(flat.trainingScores)).toEqual([0, 0, 0]);
    expect(
      Array.from(
        flat.score([
          [2, 2],
          [5, 6],
        ]),
      ),
    ).toEqual([0, 5]);
  });

  it('caps k at the training rows - 1, for training and new rows alike', () => {
    const rows = [[0], [1], [3], [7]];
    const sut = new KNN({ nNeighbors: 50 }).fit(rows);
    // k = 3: the farthest other row.
    expect(Array.from(sut.trainingScores)).toEqual([7, 6, 4, 7]);
    expect(Array.from(sut.score([[2]]))).toEqual([2]);
  });

  it('scores training rows passed to score() against all rows, themselves included', () => {
    const { X } = blobs({ inliers: 200, outliers: 10, d: 3, seed: 2 });
    const sut = new KNN({ nNeighbors: 1 }).fit(X);
    expect(Array.from(sut.score(X)).every((s) => s === 0)).toBe(true);
  });

  it('round-trips through its model document with identical scores', () => {
    const { X } = blobs({ inliers: 300, outliers: 15, d: 4, seed: 5 });
    const sut = new KNN({ nNeighbors: 7, method: 'median', contamination: 0.05 }).fit(X);
    const doc = JSON.parse(JSON.stringify(sut)) as unknown;
    const loaded = KNN.fromJSON(doc);
    const probe = blobs({ inliers: 50, outliers: 5, d: 4, seed: 6 }).X;
    expect(loaded.score(probe)).toEqual(sut.score(probe));
    expect(loaded.threshold).toBe(sut.threshold);
    expect(loaded.predict(probe)).toEqual(sut.predict(probe));
  });

  it('rejects a model document whose state does not fit its parameters', () => {
    const doc = new KNN({ nNeighbors: 3 }).fit([[0], [1], [2], [4]]).toJSON();
    // seal() recomputes the digest, so only the consistency checks can catch these.
    const tampered = (state: Record<string, unknown>, params = doc.params): ModelDocument =>
      seal({ ...doc, params, state: { ...doc.state, ...state } });
    expect(() => KNN.fromJSON(tampered({}, { ...doc.params, nNeighbors: 2 }))).toThrow(
      /neighbors must be/,
    );
    expect(() => KNN.fromJSON(tampered({ rows: 5 }))).toThrow(/state.training must hold 5 values/);
    expect(() =>
      KNN.fromJSON(tampered({ training: { dtype: 'float64', length: 4, base64: 'AAAA' } })),
    ).toThrow(/state.training has 3 bytes, expected 32/);
    expect(() => KNN.fromJSON({ ...doc, sha256: '0'.repeat(64) })).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.InvalidModel }),
    );
  });

  it('rejects invalid parameters, naming them', () => {
    expect(() => new KNN({ nNeighbors: 0 })).toThrow(/nNeighbors/);
    expect(() => new KNN({ nNeighbors: 2.5 })).toThrow(/nNeighbors/);
    expect(() => new KNN({ method: 'max' as 'mean' })).toThrow(
      /method.*'largest', 'mean', 'median'/,
    );
    expect(() => new KNN({ k: 5 } as object)).toThrow(/unknown parameter 'k'/);
  });

  it('rejects bad input with codes that name the problem', () => {
    const sut = new KNN();
    expect(() => sut.score([[1, 2]])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
    );
    expect(() => sut.fit([[1, 2]])).toThrow(/at least 2/);
    expect(() =>
      sut.fit([
        [1, Number.NaN],
        [2, 3],
      ]),
    ).toThrow(/NaN \(missing\) at row 0, column 1/);
    sut.fit([
      [1, 2],
      [3, 4],
      [5, 7],
    ]);
    expect(() => sut.score([[1, 2, 3]])).toThrow(
      /has 3 features, but the detector was fitted with 2/,
    );
    expect(() => sut.score(new Matrix(new Float64Array([1, Infinity]), 1, 2))).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NonFiniteValue }),
    );
  });
});
