import { InitialDatasetSchema1764300000000 } from './migrations/1764300000000-initial-dataset-schema.js';

export * from './entities.js';

/** Every migration of the `dataset` schema, oldest first. */
export const DATASET_MIGRATIONS = [InitialDatasetSchema1764300000000];
export const DATASET_SCHEMA = 'dataset';
