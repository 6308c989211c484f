import { describe, expect, it } from 'vitest';
import { blobs } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { rocAuc } from '../metrics/metrics.js';
import { seal, type ModelDocument } from '../model/model-document.js';
import { PROBABILITY_METHODS } from '../threshold/threshold.js';
import {
  ALGORITHM_NAMES,
  createDetector,
  describeAlgorithm,
  listAlgorithms,
  loadDetector,
} from './registry.js';

/**
 * The contract of ARCHITECTURE.md ("Scores") checked on every algorithm of the catalogue: what
 * holds for one detector must hold for all, including those added later.
 */
describe('every detector', () => {
  const { X, y } = blobs({ inliers: 380, outliers: 20, d: 5, seed: 21 });
  const rows = X.toRows();

  describe.each(ALGORITHM_NAMES.map((name) => ({ name })))('$name', ({ name }) => {
    const fitted = createDetector(name, { contamination: 0.05 }).fit(X);

    it('ranks planted outliers above inliers', () => {
      // A low bar on purpose: PCA, say, is not made for clustered data, but every detector must
      // rank wide uniform outliers clearly above Gaussian blobs.
      expect(rocAuc(y, fitted.trainingScores)).toBeGreaterThan(0.75);
    });

    it('scores every row with a finite number, deterministically', () => {
      const s = fitted.score(X);
      expect(s.length).toBe(X.rows);
      expect(s.every(Number.isFinite)).toBe(true);
      expect(createDetector(name, { contamination: 0.05 }).fit(X).score(X)).toEqual(s);
    });

    it('labels rows above the threshold, about the contamination share of training rows', () => {
      const labels = fitted.predict(X);
      const scores = fitted.score(X);
      labels.forEach((l, i) => expect(l).toBe(scores[i]! > fitted.threshold ? 1 : 0));
      const flagged = fitted.trainingScores.filter((s) => s > fitted.threshold).length;
      expect(flagged / X.rows).toBeLessThanOrEqual(0.05);
      expect(flagged / X.rows).toBeGreaterThan(0.02);
    });

    it('gives probabilities in [0, 1] that grow with the score', () => {
      const scores = fitted.score(X);
      for (const method of PROBABILITY_METHODS) {
        const p = fitted.predictProba(X, method);
        expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
        const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
        for (let i = 1; i < order.length; i++)
          expect(p[order[i]!]).toBeGreaterThanOrEqual(p[order[i - 1]!]!);
      }
    });

    it('round-trips through JSON text to identical scores, labels and threshold', () => {
      const text = JSON.stringify(fitted);
      const loaded = loadDetector(JSON.parse(text));
      expect(loaded.algorithm).toBe(fitted.algorithm);
      expect(loaded.score(X)).toEqual(fitted.score(X));
      expect(loaded.predict(X)).toEqual(fitted.predict(X));
      expect(loaded.threshold).toBe(fitted.threshold);
      expect(JSON.stringify(loaded)).toBe(text);
    });

    it('refuses tampered, foreign and future model documents', () => {
      const doc = fitted.toJSON();
      const tamper = (edit: (d: ModelDocument) => void) => {
        const copy = JSON.parse(JSON.stringify(doc)) as ModelDocument;
        edit(copy);
        return () => loadDetector(copy);
      };
      const invalid: unknown = expect.objectContaining({ code: DetectionErrorCode.InvalidModel });
      expect(tamper((d) => (d.threshold += 1e-9))).toThrow(/does not match its sha256/);
      expect(tamper((d) => (d.params['contamination'] = 0.2))).toThrow(invalid);
      expect(tamper((d) => (d.format = 'other' as 'nomaly.detector'))).toThrow(
        /unknown model format/,
      );
      expect(tamper((d) => (d.formatVersion = 2 as 1))).toThrow(/version 2 is not supported/);
      expect(tamper((d) => (d.state = {}))).toThrow(invalid);
      expect(() => loadDetector('not a document')).toThrow(invalid);
    });

    it('refuses a sealed document whose state does not fit its parameters', () => {
      const { sha256: _, ...content } = fitted.toJSON();
      expect(() => loadDetector(seal({ ...content, state: {} }))).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.InvalidModel }),
      );
      expect(() => loadDetector(seal({ ...content, featureNames: ['only-one'] }))).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.InvalidModel }),
      );
    });

    it('rejects NaN by default and imputes it when asked', () => {
      const withNaN = rows.map((r, i) => (i % 50 === 0 ? [Number.NaN, ...r.slice(1)] : r));
      expect(() => createDetector(name).fit(withNaN)).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.NonFiniteValue }),
      );
      const imputing = createDetector(name, { missing: 'median' }).fit(withNaN);
      expect(imputing.score(withNaN).every(Number.isFinite)).toBe(true);
    });

    it('never produces NaN from constant columns', () => {
      const constant = rows.map((r) => [r[0]!, 7, r[1]!, 7]);
      const sut = createDetector(name).fit(constant);
      expect(sut.trainingScores.every(Number.isFinite)).toBe(true);
      expect(
        sut
          .score([
            [0, 7, 0, 7],
            [100, -3, 100, 9],
          ])
          .every(Number.isFinite),
      ).toBe(true);
    });

    it('scores values near the limits of float64 or says to rescale, never crashes', () => {
      const huge = rows.map((r) => r.map((v) => v * 1e300));
      let scores: Float64Array | undefined;
      try {
        scores = createDetector(name).fit(huge).trainingScores;
      } catch (e) {
        expect(e).toMatchObject({ code: DetectionErrorCode.InvalidArgument });
        expect((e as Error).message).toMatch(/rescale the data/);
      }
      if (scores !== undefined) expect(scores.every(Number.isFinite)).toBe(true);
    });

    it('fails clearly on unfitted use, empty input and a wrong width', () => {
      const fresh = createDetector(name);
      expect(() => fresh.score(X)).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.NotFitted }),
      );
      expect(() => fresh.fit(new Matrix(new Float64Array(0), 0, 5))).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.EmptyInput }),
      );
      expect(() => fitted.score([[1, 2]])).toThrow(
        expect.objectContaining({ code: DetectionErrorCode.ShapeMismatch }),
      );
    });

    it('explains scores when it says it can', () => {
      const info = describeAlgorithm(name);
      expect(fitted.explainable).toBe(info.explainable);
      if (!info.explainable) {
        expect(() => fitted.explain(X)).toThrow(/does not explain/);
        return;
      }
      const e = fitted.explain(rows.slice(0, 10));
      expect(e.contributions.length).toBe(10 * X.cols);
      expect(e.contributions.every(Number.isFinite)).toBe(true);
      expect(e.scores).toEqual(fitted.score(rows.slice(0, 10)));
    });
  });

  it('are published with a closed JSON Schema that has every parameter and its default', () => {
    for (const info of listAlgorithms()) {
      const schema = info.parameters as {
        additionalProperties: boolean;
        properties: Record<string, { default?: unknown }>;
      };
      expect(schema.additionalProperties).toBe(false);
      expect(schema.properties['contamination']?.default).toBe(0.1);
      for (const p of Object.values(schema.properties)) expect(p).toHaveProperty('default');
      expect(info.reference.length).toBeGreaterThan(10);
    }
  });

  it('reject unknown algorithm names, listing the known ones', () => {
    expect(() => createDetector('forest')).toThrow(
      /unknown algorithm 'forest'; known algorithms: iforest/,
    );
  });
});
