import { GRPC_LOADER_OPTIONS, GRPC_PACKAGES, PROTO_FILES, protoPath } from '@nomaly/proto';
import type { ServiceDefinition } from '@nomaly/platform-nest';
import type { ModelConfig } from './config.js';
import { ModelModule } from './model.module.js';
import { MODEL_ENTITIES, MODEL_MIGRATIONS, MODEL_SCHEMA } from './persistence/index.js';

export const MODEL_SERVICE_VERSION = '0.1.0';

/** The model-service on the platform: its schema and its gRPC contract. */
export function modelServiceDefinition(config: ModelConfig): ServiceDefinition {
  return {
    info: {
      title: 'Nomaly model-service',
      description:
        'The model registry: versions with SHA-256-verified artifacts, champion and challenger aliases, promotion, rollback and what edge nodes should run.',
      version: MODEL_SERVICE_VERSION,
    },
    config,
    imports: [ModelModule],
    database: { schema: MODEL_SCHEMA, entities: MODEL_ENTITIES, migrations: MODEL_MIGRATIONS },
    grpc: {
      package: GRPC_PACKAGES.model,
      protoPath: protoPath(PROTO_FILES.model),
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
    },
  };
}
