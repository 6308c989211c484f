/**
 * The detect contract and detection outside the central services — the edge agent and the
 * serverless handlers — built from the same pieces as the detector-service: the REST detect
 * request and its validation (the detector-service uses the same), model artifacts loaded only
 * when their SHA-256 matches, and the central API client.
 */
export { detect, type DetectResponse } from './detect/detect.js';
export {
  parseDetectRequest,
  toFeatureMatrix,
  type DetectRequest,
} from './detect/detect-request.js';
export { ArtifactError, loadVerifiedArtifact, sha256, type ArtifactRef } from './model/artifact.js';
export type { ServedModel } from './model/served-model.js';
export {
  CentralClient,
  CentralRejectedError,
  CentralUnavailableError,
  type CentralClientOptions,
  type CentralProblem,
  type EdgeModel,
  type RegisteredModel,
} from './central/central-client.js';
export {
  EDGE_UPLOAD_MAX_RESULTS,
  type EdgeResult,
  type EdgeUploadReceipt,
} from './central/edge-results.js';
