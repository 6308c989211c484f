import { createDetector, Matrix, Random } from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import type { ServedModel } from '../model/served-model.js';
import { detect } from './detect.js';

const FEATURES = ['amount', 'hour', 'distance'];

function trainingRows(n: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => FEATURES.map(() => random.normal()));
}

function served(algorithm = 'iforest'): ServedModel {
  const params = algorithm === 'iforest' ? { seed: 3, contamination: 0.1 } : { contamination: 0.1 };
  const detector = createDetector(algorithm, params).fit(
    Matrix.fromRows(trainingRows(300, 1), FEATURES),
  );
  return {
    modelId: '7b0a1c1e-3f1d-4a43-9a52-0c6a3f2b9d10',
    version: 4,
    sha256: 'a'.repeat(64),
    name: 'payments',
    detectorId: null,
    detector,
  };
}

function problemOf(run: () => unknown): ServiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}

describe(detect.name, () => {
  const sut = served();
  const rows = trainingRows(50, 2);

  it('scores rows exactly as the library does, labels strictly above the threshold', () => {
    const answer = detect(sut, { rows }, { maxRows: 100 });
    const expected = Array.from(sut.detector.score(Matrix.fromRows(rows, FEATURES)));
    expect(answer.scores).toEqual(expected);
    expect(answer.labels).toEqual(expected.map((s) => (s > sut.detector.threshold ? 1 : 0)));
    expect(answer.threshold).toBe(sut.detector.threshold);
    expect(answer.modelVersion).toEqual({
      id: `${sut.modelId}:4`,
      modelId: sut.modelId,
      version: 4,
    });
    expect(answer.features).toEqual(FEATURES);
  });

  it('takes records keyed by feature name in any key order, with the same scores', () => {
    const records = rows.map(([amount, hour, distance]) => ({ distance, amount, hour }));
    expect(detect(sut, { records }, { maxRows: 100 }).scores).toEqual(
      detect(sut, { rows }, { maxRows: 100 }).scores,
    );
  });

  it('explains per feature when asked, and refuses for algorithms that cannot', () => {
    const answer = detect(sut, { rows: rows.slice(0, 3), explain: true }, { maxRows: 100 });
    expect(answer.explanations).toHaveLength(3);
    expect(answer.explanations?.[0]).toHaveLength(FEATURES.length);
    const knn = served('knn');
    expect(problemOf(() => detect(knn, { rows, explain: true }, { maxRows: 100 })).message).toMatch(
      /knn does not explain/,
    );
  });

  it.each([
    [[], /JSON object/],
    [{ rows, records: [] }, /either "rows" or "records"/],
    [{}, /either "rows" or "records"/],
    [{ rows: [] }, /"rows" must be a non-empty array/],
    [
      { rows: [[1, 2]] },
      /rows\[0\] must be an array of 3 numbers \(amount, hour, distance\); got 2 values/,
    ],
    [{ rows: [[1, 2, 'x']] }, /Row 0, column 'distance': expected a finite number, got "x"/],
    [{ rows: [[1, null, 3]] }, /Row 0, column 'hour': expected a finite number, got null/],
    [{ records: [{ amount: 1, hour: 2 }] }, /records\[0\] lacks feature 'distance'/],
    [{ records: [{ amount: 1, hour: 2, distance: 3, zip: 4 }] }, /records\[0\] has 'zip'/],
    [{ rows, verbose: true }, /property verbose should not exist/],
    [{ rows, explain: 'yes' }, /explain must be a boolean/],
  ])('answers VALIDATION_FAILED (400) for %j', (body, message) => {
    const error = problemOf(() => detect(sut, body, { maxRows: 100 }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('answers PAYLOAD_TOO_LARGE (413) over the row bound', () => {
    const error = problemOf(() => detect(sut, { rows }, { maxRows: 49 }));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(error.message).toMatch(
      /At most 49 rows per detect call \(MAX_DETECTION_BATCH_SIZE\); got 50/,
    );
  });
});
