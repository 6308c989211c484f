import { describe, expect, it } from 'vitest';
import { blobs, golden, maxRelDiff } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { rocAuc } from '../metrics/metrics.js';
import { encodeArray } from '../model/encoding.js';
import { seal, type ModelDocument } from '../model/model-document.js';
import { LOF } from './lof.js';

interface Golden {
  X: number[][];
  trainRows: number;
  lof20: number[];
  lof20_novel: number[];
}

const GOLDEN_SETS = ['blobs', 'ties', 'wide', 'constant'] as const;

describe(LOF.name, () => {
  for (const set of GOLDEN_SETS) {
    const g = golden<Golden>(set);

    // 'ties' (integer grid, duplicate rows) passes only if equidistant neighbours are chosen
    // exactly as scikit-learn's KD-tree chooses them.
    it(`matches scikit-learn's negative_outlier_factor_ on '${set}'`, () => {
      const sut = new LOF({ nNeighbors: 20 }).fit(g.X);
      expect(maxRelDiff(sut.trainingScores, g.lof20)).toBeLessThan(1e-9);
    });

    it(`matches scikit-learn's novelty score_samples on '${set}'`, () => {
      const sut = new LOF({ nNeighbors: 20 }).fit(g.X.slice(0, g.trainRows));
      expect(maxRelDiff(sut.score(g.X.slice(g.trainRows)), g.lof20_novel)).toBeLessThan(1e-9);
    });
  }

  it('ranks planted outliers first', () => {
    const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });
    expect(rocAuc(y, new LOF().fit(X).trainingScores)).toBeGreaterThan(0.9);
  });

  it('is about 1 inside a uniform cluster and larger for an isolated row', () => {
    const grid: number[][] = [];
    for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) grid.push([i, j]);
    const sut = new LOF({ nNeighbors: 4 }).fit(grid);
    const [inside, far] = sut.score([
      [4.5, 4.5],
      [30, 30],
    ]);
    expect(inside).toBeCloseTo(1, 1);
    expect(far).toBeGreaterThan(5);
  });

  it('gives identical scores for the same data, fit after fit', () => {
    const { X } = blobs({ inliers: 400, outliers: 20, d: 5, seed: 8 });
    const a = new LOF().fit(X);
    const b = new LOF().fit(X);
    expect(b.trainingScores).toEqual(a.trainingScores);
    expect(b.score(X)).toEqual(a.score(X));
  });

  it('stays finite on constant columns and duplicate rows', () => {
    const { X } = golden<Golden>('constant');
    expect(new LOF().fit(X).trainingScores.every(Number.isFinite)).toBe(true);
    // Every row has k duplicates: reach-distances are 0, densities 1e10, factors exactly 1.
    const dup = new LOF({ nNeighbors: 2 }).fit([
      [1, 1],
      [1, 1],
      [1, 1],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    expect(Array.from(dup.trainingScores)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('caps k at the training rows - 1, as scikit-learn does', () => {
    const rows = [[0], [1], [3], [7], [8]];
    const capped = new LOF({ nNeighbors: 100 }).fit(rows);
    const exact = new LOF({ nNeighbors: 4 }).fit(rows);
    expect(capped.trainingScores).toEqual(exact.trainingScores);
    expect(capped.score([[2], [20]])).toEqual(exact.score([[2], [20]]));
  });

  it('round-trips through its model document with identical scores', () => {
    const { X } = blobs({ inliers: 300, outliers: 15, d: 4, seed: 5 });
    const sut = new LOF({ nNeighbors: 10, contamination: 0.05 }).fit(X);
    const doc = JSON.parse(JSON.stringify(sut)) as unknown;
    const loaded = LOF.fromJSON(doc);
    const probe = blobs({ inliers: 50, outliers: 5, d: 4, seed: 6 }).X;
    expect(loaded.score(probe)).toEqual(sut.score(probe));
    expect(loaded.threshold).toBe(sut.threshold);
    expect(loaded.predict(probe)).toEqual(sut.predict(probe));
  });

  it('rejects a model document whose state is inconsistent', () => {
    const doc = new LOF({ nNeighbors: 2 }).fit([[0], [1], [2], [4]]).toJSON();
    // seal() recomputes the digest, so only the consistency checks can catch these.
    const tampered = (state: Record<string, unknown>): ModelDocument =>
      seal({ ...doc, state: { ...doc.state, ...state } });
    expect(() => LOF.fromJSON(tampered({ neighbors: 3 }))).toThrow(/neighbors must be/);
    expect(() =>
      LOF.fromJSON(tampered({ lrd: { dtype: 'float64', length: 1, base64: 'AAAAAAAAAAA=' } })),
    ).toThrow(/state.lrd must hold 4 values/);
    expect(() => LOF.fromJSON(tampered({ lrd: encodeArray(new Float64Array(4)) }))).toThrow(
      /lrd must be finite and > 0/,
    );
    expect(() => LOF.fromJSON(tampered({}))).not.toThrow();
    expect(() => LOF.fromJSON(seal({ ...doc, algorithm: 'knn' }))).toThrow(
      /holds a 'knn' model, not 'lof'/,
    );
  });

  it('rejects invalid parameters and input, naming them', () => {
    expect(() => new LOF({ nNeighbors: 0 })).toThrow(/nNeighbors/);
    expect(() => new LOF({ minPts: 5 } as object)).toThrow(/unknown parameter 'minPts'/);
    const sut = new LOF();
    expect(() => sut.score([[1]])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
    );
    expect(() => sut.fit([])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
    );
    sut.fit([
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
    expect(() => sut.score([[1]])).toThrow(/has 1 features, but the detector was fitted with 2/);
  });
});
