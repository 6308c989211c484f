import { JOBS_MIGRATIONS } from '@nomaly/jobs';
import { InitialDetectorSchema1764200000000 } from './migrations/1764200000000-initial-detector-schema.js';

export * from './entities.js';

/**
 * Every migration of the `detector` schema, oldest first: the detectors and results, then the
 * durable jobs (defined with the jobs library, which the worker shares).
 */
export const DETECTOR_MIGRATIONS = [InitialDetectorSchema1764200000000, ...JOBS_MIGRATIONS];
export const DETECTOR_SCHEMA = 'detector';
