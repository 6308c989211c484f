import type { Detector } from '@nomaly/detection-core';

/** A loaded model version and where it comes from: what a detect call scores with. */
export interface ServedModel {
  readonly modelId: string;
  readonly version: number;
  /** SHA-256 of the artifact bytes it was loaded from (verified). */
  readonly sha256: string;
  /** The model's name in the registry. */
  readonly name: string;
  /** The detector whose trainings produce the model; null for models registered directly. */
  readonly detectorId: string | null;
  readonly detector: Detector;
}
