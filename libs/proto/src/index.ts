import * as authV1 from './gen/nomaly/auth/v1/auth_service.js';
import * as datasetV1 from './gen/nomaly/dataset/v1/dataset_service.js';
import * as modelV1 from './gen/nomaly/model/v1/model_service.js';
import { PROTO_ROOT } from './proto-path.js';

export * as authV1 from './gen/nomaly/auth/v1/auth_service.js';
export * as commonV1 from './gen/nomaly/common/v1/pagination.js';
export * as datasetV1 from './gen/nomaly/dataset/v1/dataset_service.js';
export * as detectorV1 from './gen/nomaly/detector/v1/detect.js';
export * as modelV1 from './gen/nomaly/model/v1/model_service.js';
export { PROTO_ROOT, protoPath } from './proto-path.js';
export { dateFromTimestamp, timestampFromDate, type Timestamp } from './timestamp.js';

/** The protobuf package of each service's gRPC API: Nest's `package` option. */
export const GRPC_PACKAGES = {
  auth: authV1.NOMALY_AUTH_V1_PACKAGE_NAME,
  dataset: datasetV1.NOMALY_DATASET_V1_PACKAGE_NAME,
  model: modelV1.NOMALY_MODEL_V1_PACKAGE_NAME,
} as const;

/** Each service's .proto file relative to {@link PROTO_ROOT}: pass it through `protoPath()`. */
export const PROTO_FILES = {
  auth: authV1.protobufFileName,
  dataset: datasetV1.protobufFileName,
  model: modelV1.protobufFileName,
} as const;

/** The proto-loader options of {@link GRPC_LOADER_OPTIONS}; assignable to Nest's `loader` option. */
export interface GrpcLoaderOptions {
  keepCase: boolean;
  longs: NumberConstructor;
  defaults: boolean;
  includeDirs: string[];
}

/**
 * proto-loader options that make run-time messages match the generated types: camelCase field
 * names (`keepCase: false`), int64 as `number` (`Timestamp.seconds`), enums as numbers (the
 * default), and every field present with its default (`roles: []`, `active: false`) except proto3
 * `optional` fields, which stay undefined when absent. The proto root is on the include path so
 * that files importing `nomaly/common/v1/…` resolve. Give them to Nest as the gRPC transport's
 * `loader` option (spread them: the object is shared).
 */
export const GRPC_LOADER_OPTIONS: Readonly<GrpcLoaderOptions> = Object.freeze({
  keepCase: false,
  longs: Number,
  defaults: true,
  includeDirs: [PROTO_ROOT],
});
