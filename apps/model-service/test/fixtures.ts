/**
 * Real models for the tests: isolation forests trained with detection-core on seeded data, so
 * every artifact is a genuine `nomaly.detector` document and scores can be compared exactly.
 */
import { IsolationForest, Random, type ModelDocument } from '@nomaly/detection-core';

export interface TrainedModel {
  readonly detector: IsolationForest;
  readonly document: ModelDocument;
  /** Rows to score: the training blob plus a few far-away outliers. */
  readonly rows: number[][];
}

/** Gaussian rows around the origin plus five outliers at ±8 on every feature. */
export function seededRows(seed: number, count = 300, features = 4): number[][] {
  const random = new Random(seed);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++)
    rows.push(Array.from({ length: features }, () => random.normal()));
  for (let i = 0; i < 5; i++)
    rows.push(Array.from({ length: features }, (_, j) => ((i + j) % 2 === 0 ? 8 : -8)));
  return rows;
}

export function trainForest(seed: number, nEstimators = 50): TrainedModel {
  const rows = seededRows(seed);
  const detector = new IsolationForest({ nEstimators, seed }).fit(rows);
  return { detector, document: detector.toJSON(), rows };
}
