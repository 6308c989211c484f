import 'reflect-metadata';
import { runServiceCli } from '@nomaly/platform-persistence';
import { loadDetectorConfig } from './config.js';
import { DETECTOR_ENTITIES, DETECTOR_MIGRATIONS, DETECTOR_SCHEMA } from './persistence/index.js';

runServiceCli({
  service: 'detector-service',
  loadConfig: () => loadDetectorConfig(),
  database: {
    schema: DETECTOR_SCHEMA,
    entities: DETECTOR_ENTITIES,
    migrations: DETECTOR_MIGRATIONS,
  },
});
