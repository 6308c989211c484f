import 'reflect-metadata';
import { runServiceCli } from '@nomaly/platform-persistence';
import { loadDatasetConfig } from './config.js';
import { DATASET_ENTITIES, DATASET_MIGRATIONS, DATASET_SCHEMA } from './persistence/index.js';

runServiceCli({
  service: 'dataset-service',
  loadConfig: () => loadDatasetConfig(),
  database: { schema: DATASET_SCHEMA, entities: DATASET_ENTITIES, migrations: DATASET_MIGRATIONS },
});
