export { DetectionError, DetectionErrorCode } from './core/errors.js';
export { Matrix, checkMatrix, defaultFeatureNames, type MatrixInput } from './core/matrix.js';
export { Random } from './core/random.js';
export { summarize, quantile, median, mean, std, type ScoreSummary } from './core/stats.js';
export { toJsonSchema, type ParamSpec, type ParamSpecs } from './core/params.js';
export {
  Detector,
  COMMON_PARAM_SPECS,
  type CommonParams,
  type Explanation,
} from './core/detector.js';
export { LIBRARY_VERSION } from './core/version.js';
export {
  Scaler,
  SCALING_METHODS,
  type ScalingMethod,
  type ScalerState,
} from './preprocessing/scaler.js';
export {
  Imputer,
  MISSING_POLICIES,
  type MissingPolicy,
  type ImputerState,
} from './preprocessing/imputer.js';
export {
  fitThreshold,
  toProbability,
  THRESHOLD_RULES,
  PROBABILITY_METHODS,
  type ThresholdRule,
  type Contamination,
  type ProbabilityMethod,
} from './threshold/threshold.js';
export { rocAuc, averagePrecision, precisionAtN, spearman } from './metrics/metrics.js';
export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  verifyDocument,
  type ModelDocument,
} from './model/model-document.js';
export { canonicalJson, encodeArray, decodeArray, type BinaryArray } from './model/encoding.js';
export { sha256Hex } from './model/sha256.js';
export {
  IsolationForest,
  ISOLATION_FOREST_PARAMS,
  type IsolationForestParams,
} from './detectors/isolation-forest.js';
export {
  ExtendedIsolationForest,
  EXTENDED_ISOLATION_FOREST_PARAMS,
  type ExtendedIsolationForestParams,
} from './detectors/extended-isolation-forest.js';
export { KNN, KNN_PARAMS, KNN_METHODS, type KNNParams, type KnnMethod } from './detectors/knn.js';
export { LOF, LOF_PARAMS, type LOFParams } from './detectors/lof.js';
export { HBOS, HBOS_PARAMS, type HBOSParams } from './detectors/hbos.js';
export { ECOD, ECOD_PARAMS, type ECODParams } from './detectors/ecod.js';
export { COPOD, COPOD_PARAMS, type COPODParams } from './detectors/copod.js';
export { LODA, LODA_PARAMS, type LODAParams } from './detectors/loda.js';
export { PCA, PCA_PARAMS, type PCAParams } from './detectors/pca.js';
export { MCD, MCD_PARAMS, type MCDParams } from './detectors/mcd.js';
export {
  Ensemble,
  ENSEMBLE_PARAMS,
  AUTO_MEMBERS,
  type EnsembleParams,
  type EnsembleMember,
  type Combination,
} from './detectors/ensemble.js';
export {
  ALGORITHM_NAMES,
  createDetector,
  describeAlgorithm,
  listAlgorithms,
  loadDetector,
  parseParam,
  type AlgorithmInfo,
} from './registry/registry.js';
export { NeighborIndex, type Neighbors } from './neighbors/k-nearest.js';
