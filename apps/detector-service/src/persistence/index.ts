import { InitialDetectorSchema1764200000000 } from './migrations/1764200000000-initial-detector-schema.js';

export * from './entities.js';

/** Every migration of the `detector` schema, oldest first. */
export const DETECTOR_MIGRATIONS = [InitialDetectorSchema1764200000000];
export const DETECTOR_SCHEMA = 'detector';
