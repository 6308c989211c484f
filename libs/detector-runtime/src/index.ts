/**
 * What runs a detector against the other services, shared by the detector-service (training
 * within a request) and the worker (train and detect jobs): the gRPC clients of the dataset and
 * model services, feature selection, fitting and publishing a model version.
 */
export {
  DatasetClient,
  ModelClient,
  type FetchedVersion,
  type UpstreamClientOptions,
} from './upstream-clients.js';
export {
  asValidationError,
  fitModel,
  publishModel,
  readTrainingData,
  selectFeatures,
  type DetectorSpec,
  type FitRequest,
  type FittedModel,
  type PublishInput,
  type TrainingData,
  type TrainingResult,
} from './training.js';
