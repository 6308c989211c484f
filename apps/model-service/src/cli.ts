import 'reflect-metadata';
import { runServiceCli } from '@nomaly/platform-persistence';
import { loadModelConfig } from './config.js';
import { MODEL_ENTITIES, MODEL_MIGRATIONS, MODEL_SCHEMA } from './persistence/index.js';

runServiceCli({
  service: 'model-service',
  loadConfig: () => loadModelConfig(),
  database: { schema: MODEL_SCHEMA, entities: MODEL_ENTITIES, migrations: MODEL_MIGRATIONS },
});
