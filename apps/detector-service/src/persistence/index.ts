import { JOBS_MIGRATIONS } from '@nomaly/jobs';
import { InitialDetectorSchema1764200000000 } from './migrations/1764200000000-initial-detector-schema.js';
import { EdgeResults1764600000000 } from './migrations/1764600000000-edge-results.js';

export * from './entities.js';

/**
 * Every migration of the `detector` schema, oldest first: the detectors and results, then the
 * durable jobs (defined with the jobs library, which the worker shares), then the results edge
 * agents upload.
 */
export const DETECTOR_MIGRATIONS = [
  InitialDetectorSchema1764200000000,
  ...JOBS_MIGRATIONS,
  EdgeResults1764600000000,
];
export const DETECTOR_SCHEMA = 'detector';
