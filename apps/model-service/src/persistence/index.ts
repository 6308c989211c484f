import { InitialModelSchema1764300000000 } from './migrations/1764300000000-initial-model-schema.js';
import { VersionPublishKey1764700000000 } from './migrations/1764700000000-version-publish-key.js';

export * from './entities.js';

/** Every migration of the `model` schema, oldest first. */
export const MODEL_MIGRATIONS = [InitialModelSchema1764300000000, VersionPublishKey1764700000000];
export const MODEL_SCHEMA = 'model';
