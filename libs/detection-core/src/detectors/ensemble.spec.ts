import { describe, expect, it } from 'vitest';
import { blobs, maxAbsDiff } from '../../test/helpers.js';
import { DetectionErrorCode } from '../core/errors.js';
import { rocAuc } from '../metrics/metrics.js';
import { AUTO_MEMBERS, Ensemble } from './ensemble.js';
import { ECOD } from './ecod.js';
import { HBOS } from './hbos.js';
import { IsolationForest } from './isolation-forest.js';

describe(Ensemble.name, () => {
  const { X, y } = blobs({ inliers: 470, outliers: 30, d: 4, seed: 8 });
  const members = [
    { algorithm: 'iforest', params: { nEstimators: 50 } },
    { algorithm: 'hbos' },
    { algorithm: 'ecod' },
  ];
  const z = (s: Float64Array, m: { trainingSummary: { mean: number; std: number } }) =>
    Array.from(s, (v) => (v - m.trainingSummary.mean) / m.trainingSummary.std);
  // The members as the ensemble builds them: randomized ones get seed + position.
  const forest = new IsolationForest({ nEstimators: 50, seed: 3 }).fit(X);
  const hbos = new HBOS().fit(X);
  const ecod = new ECOD().fit(X);
  const columns = [
    z(forest.trainingScores, forest),
    z(hbos.trainingScores, hbos),
    z(ecod.trainingScores, ecod),
  ];

  it('averages the members’ z-normalized scores', () => {
    const sut = new Ensemble({ members, combination: 'average', seed: 3 }).fit(X);
    const expected = columns[0]!.map(
      (_, r) => (columns[0]![r]! + columns[1]![r]! + columns[2]![r]!) / 3,
    );
    expect(maxAbsDiff(sut.trainingScores, expected)).toBeLessThan(1e-12);
    expect(rocAuc(y, sut.trainingScores)).toBeGreaterThan(0.95);
  });

  it('takes the maximum, or the average of bucket maxima (aom)', () => {
    const max = new Ensemble({ members, combination: 'maximum', seed: 3 }).fit(X);
    const expectedMax = columns[0]!.map((_, r) =>
      Math.max(columns[0]![r]!, columns[1]![r]!, columns[2]![r]!),
    );
    expect(maxAbsDiff(max.trainingScores, expectedMax)).toBeLessThan(1e-12);
    // Three members in two buckets, in order: {iforest, hbos} and {ecod}.
    const aom = new Ensemble({ members, combination: 'aom', buckets: 2, seed: 3 }).fit(X);
    const expectedAom = columns[0]!.map(
      (_, r) => (Math.max(columns[0]![r]!, columns[1]![r]!) + columns[2]![r]!) / 2,
    );
    expect(maxAbsDiff(aom.trainingScores, expectedAom)).toBeLessThan(1e-12);
  });

  it('scores new rows like the training rows and keeps explicit member seeds', () => {
    const sut = new Ensemble({ members, seed: 3 }).fit(X);
    expect(maxAbsDiff(sut.score(X), sut.trainingScores)).toBeLessThan(1e-12);
    const pinned = new Ensemble({
      members: [
        { algorithm: 'iforest', params: { nEstimators: 50, seed: 3 } },
        { algorithm: 'hbos' },
      ],
      seed: 99,
    }).fit(X);
    const solo = new Ensemble({
      members: [{ algorithm: 'iforest', params: { nEstimators: 50 } }, { algorithm: 'hbos' }],
      seed: 3,
    }).fit(X);
    expect(pinned.trainingScores).toEqual(solo.trainingScores);
  });

  it('defaults to the auto members', () => {
    expect(new Ensemble().params.members).toEqual(AUTO_MEMBERS);
  });

  it('rejects bad members at construction, naming the member', () => {
    const invalid = expect.objectContaining({
      code: DetectionErrorCode.InvalidArgument,
    }) as unknown;
    expect(() => new Ensemble({ members: [] })).toThrow(/at least one member/);
    expect(() => new Ensemble({ members: [{ algorithm: 'magic' }] })).toThrow(
      /member 0 of the ensemble has unknown algorithm 'magic'/,
    );
    expect(() => new Ensemble({ members: [{ algorithm: 'ensemble' }] })).toThrow(invalid);
    expect(
      () =>
        new Ensemble({
          members: [{ algorithm: 'hbos' }, { algorithm: 'knn', params: { nNeighbors: 0 } }],
        }),
    ).toThrow(/member 1 of the ensemble: parameter 'nNeighbors' of knn must be an integer >= 1/);
    expect(() => new Ensemble({ members: [{} as { algorithm: string }] })).toThrow(
      /needs an 'algorithm' name/,
    );
  });
});
