import type { ServiceDefinition } from '@nomaly/platform-nest';
import type { DetectorConfig } from './config.js';
import { DetectorModule } from './detector.module.js';
import { DETECTOR_ENTITIES, DETECTOR_MIGRATIONS, DETECTOR_SCHEMA } from './persistence/index.js';

export const DETECTOR_SERVICE_VERSION = '0.1.0';

/** The detector-service on the platform: its schema; its gRPC clients live in its module. */
export function detectorServiceDefinition(config: DetectorConfig): ServiceDefinition {
  return {
    info: {
      title: 'Nomaly detector-service',
      description:
        'Detectors over the detection-core algorithms: create, train on stored datasets, detect in real time with explanations, and stored results.',
      version: DETECTOR_SERVICE_VERSION,
    },
    config,
    imports: [DetectorModule],
    database: {
      schema: DETECTOR_SCHEMA,
      entities: DETECTOR_ENTITIES,
      migrations: DETECTOR_MIGRATIONS,
    },
  };
}
