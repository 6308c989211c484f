import { ServiceError } from '@nomaly/platform-core';
import type { ServedModel } from '../model/served-model.js';
import { parseDetectRequest, toFeatureMatrix } from './detect-request.js';

/** The answer of a REST detect call: the central detector-service's shape. */
export interface DetectResponse {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { id: string; modelId: string; version: number };
  features: readonly string[];
  explanations?: number[][];
}

/**
 * Scores a detect body with a model exactly as the central `POST /api/v1/detectors/{id}/detect`
 * does: same validation and messages, labels 1 for scores strictly above the threshold.
 *
 * @throws ServiceError `VALIDATION_FAILED` or `PAYLOAD_TOO_LARGE` for a bad body.
 */
export function detect(
  model: ServedModel,
  body: unknown,
  options: { readonly maxRows: number },
): DetectResponse {
  const request = parseDetectRequest(body);
  const { detector } = model;
  const X = toFeatureMatrix(request, detector.featureNames, options.maxRows);
  const scores = detector.score(X);
  const threshold = detector.threshold;
  const labels = Array.from(scores, (s) => (s > threshold ? 1 : 0));
  let explanations: number[][] | undefined;
  if (request.explain === true) {
    if (!detector.explainable) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `${detector.algorithm} does not explain its scores per feature; explainable: iforest, hbos, ecod, copod, pca, mcd.`,
      );
    }
    const { contributions } = detector.explain(X);
    explanations = Array.from({ length: X.rows }, (_, i) =>
      Array.from(contributions.subarray(i * X.cols, (i + 1) * X.cols)),
    );
  }
  return {
    scores: Array.from(scores),
    labels,
    threshold,
    modelVersion: {
      id: `${model.modelId}:${model.version}`,
      modelId: model.modelId,
      version: model.version,
    },
    features: detector.featureNames,
    ...(explanations === undefined ? {} : { explanations }),
  };
}
