import { describe, expect, it } from 'vitest';
import { blobs, golden, maxRelDiff } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { rocAuc } from '../metrics/metrics.js';
import { PCA, PCA_PARAMS } from './pca.js';

interface Golden {
  X: number[][];
  y: number[];
  pca: number[];
  pca_components: number;
}

const SETS = ['blobs', 'ties', 'wide', 'constant'] as const;

describe(PCA.name, () => {
  const { X, y } = blobs({ inliers: 950, outliers: 50, d: 6, seed: 1 });

  it.each(SETS)(
    "equals scikit-learn's StandardScaler + PCA reconstruction error on '%s'",
    (name) => {
      const g = golden<Golden>(name);
      const sut = new PCA().fit(g.X);
      expect(sut.nComponents).toBe(g.pca_components);
      expect(maxRelDiff(sut.trainingScores, g.pca)).toBeLessThan(1e-8);
      expect(maxRelDiff(sut.score(g.X), g.pca)).toBeLessThan(1e-8);
    },
  );

  it('ranks planted outliers first', () => {
    const sut = new PCA({ nComponents: 2 }).fit(X);
    expect(rocAuc(y, sut.trainingScores)).toBeGreaterThan(0.95);
  });

  it('is the squared distance to the subspace of the k leading axes, standardized or not', () => {
    // Points on the line y = 2x, plus (1, 0): its distance to the line is 2/√5.
    const rows = [
      [-2, -4],
      [-1, -2],
      [0, 0],
      [1, 2],
      [2, 4],
    ];
    const sut = new PCA({ standardize: false, nComponents: 1 }).fit(rows);
    const [onLine, off] = sut.score([
      [3, 6],
      [1, 0],
    ]);
    expect(onLine).toBeCloseTo(0, 12);
    expect(off).toBeCloseTo(4 / 5, 12);
    expect(sut.explainedVariance[0]).toBeCloseTo(12.5, 12);
  });

  it('picks the smallest k reaching varianceRatio, clipped to d − 1', () => {
    const g = golden<Golden>('wide');
    expect(new PCA({ varianceRatio: 0.5 }).fit(g.X).nComponents).toBeLessThan(g.pca_components);
    expect(new PCA({ varianceRatio: 1 }).fit(g.X).nComponents).toBe(29);
    expect(new PCA({ nComponents: 3 }).fit(g.X).nComponents).toBe(3);
  });

  it('leaves a constant column centred, so a new value there counts in full', () => {
    const g = golden<Golden>('constant');
    const sut = new PCA().fit(g.X);
    expect(sut.trainingScores.every(Number.isFinite)).toBe(true);
    const row = g.X[0]!.slice();
    const base = sut.score([row])[0]!;
    row[2] = row[2]! + 1;
    // The constant column's direction has zero variance, so it is a discarded axis: +1 adds 1.
    expect(sut.score([row])[0]! - base).toBeCloseTo(1, 8);
  });

  it('explains a score by squared per-feature residuals that sum to it', () => {
    const sut = new PCA().fit(X);
    const e = sut.explain(X.selectRows([0, 1, 2, 3, 4]));
    for (let i = 0; i < 5; i++) {
      let sum = 0;
      for (let j = 0; j < X.cols; j++) {
        expect(e.contributions[i * X.cols + j]).toBeGreaterThanOrEqual(0);
        sum += e.contributions[i * X.cols + j]!;
      }
      expect(sum).toBeCloseTo(e.scores[i]!, 12);
    }
    expect(e.featureNames).toEqual(X.featureNames);
  });

  it('round-trips through its model document with identical scores', () => {
    const sut = new PCA({ contamination: 0.05 }).fit(X);
    const doc = JSON.parse(JSON.stringify(sut)) as unknown;
    const loaded = PCA.fromJSON(doc);
    expect(loaded.score(X)).toEqual(sut.score(X));
    expect(loaded.nComponents).toBe(sut.nComponents);
    expect(loaded.threshold).toBe(sut.threshold);
    expect(loaded.predict(X)).toEqual(sut.predict(X));
  });

  it('rejects a document whose state does not fit', () => {
    const doc = JSON.parse(JSON.stringify(new PCA().fit(X))) as { state: { nComponents: number } };
    doc.state.nComponents = 6;
    expect(() => PCA.fromJSON(doc)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.InvalidModel }),
    );
  });

  it('rejects one feature, too many components and invalid parameters, naming them', () => {
    expect(() => new PCA().fit([[1], [2], [3]])).toThrow(/at least 2 features/);
    expect(() => new PCA({ nComponents: 6 }).fit(X)).toThrow(
      /'nComponents' of pca must be less than the number of features \(6\), got 6/,
    );
    expect(() => new PCA({ varianceRatio: 0 })).toThrow(/varianceRatio/);
    expect(() => new PCA({ standardize: 'yes' } as unknown as object)).toThrow(/standardize/);
    expect(() => new PCA({ components: 2 } as object)).toThrow(/unknown parameter 'components'/);
    expect(PCA_PARAMS.varianceRatio.default).toBe(0.95);
  });

  it('rejects bad input with codes that name the problem', () => {
    const sut = new PCA();
    expect(() => sut.score(X)).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
    );
    expect(() => sut.fit([])).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
    );
    expect(() =>
      sut.fit([
        [1, Number.NaN],
        [2, 3],
      ]),
    ).toThrow(/NaN \(missing\) at row 0, column 1/);
    sut.fit(X);
    expect(() => sut.score([[1, 2]])).toThrow(/has 2 features, but the detector was fitted with 6/);
  });
});
