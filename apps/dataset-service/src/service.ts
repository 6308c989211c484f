import { GRPC_LOADER_OPTIONS, GRPC_PACKAGES, PROTO_FILES, protoPath } from '@nomaly/proto';
import type { ServiceDefinition } from '@nomaly/platform-nest';
import type { DatasetConfig } from './config.js';
import { DatasetModule } from './dataset.module.js';
import { DATASET_ENTITIES, DATASET_MIGRATIONS, DATASET_SCHEMA } from './persistence/index.js';

export const DATASET_SERVICE_VERSION = '0.1.0';

/** The dataset-service on the platform: its schema and its gRPC contract. */
export function datasetServiceDefinition(config: DatasetConfig): ServiceDefinition {
  return {
    info: {
      title: 'Nomaly dataset-service',
      description:
        'Dataset upload (CSV, JSON, NDJSON) parsed as a stream, schema inference, statistics and quality, compressed column storage, and rows streamed to other services over gRPC.',
      version: DATASET_SERVICE_VERSION,
    },
    config,
    imports: [DatasetModule],
    database: {
      schema: DATASET_SCHEMA,
      entities: DATASET_ENTITIES,
      migrations: DATASET_MIGRATIONS,
    },
    grpc: {
      package: GRPC_PACKAGES.dataset,
      protoPath: protoPath(PROTO_FILES.dataset),
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
    },
  };
}
