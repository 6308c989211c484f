/**
 * Durable batch jobs. Postgres is the record: a job is committed before it is queued, its
 * results are stored per chunk idempotently, and its state moves only along the edges of
 * `job-state.ts`. BullMQ on Redis carries the work; the reconciler queues again what Redis lost.
 */
import { DurableJobs1764500000000 } from './migrations/1764500000000-durable-jobs.js';
import { FinishedJobsIndex1764800000000 } from './migrations/1764800000000-finished-jobs-index.js';

export * from './chunk-plan.js';
export * from './config.js';
export * from './fingerprint.js';
export * from './job-queues.js';
export * from './job-record.js';
export * from './job-state.js';
export * from './job-store.js';
export * from './reconciler.js';
export { DurableJobs1764500000000, FinishedJobsIndex1764800000000 };

/**
 * The migrations of the job tables, part of the `detector` schema: the detector-service's
 * migration list includes them (its `migrate` command applies them); the worker only checks
 * that they are applied.
 */
export const JOBS_MIGRATIONS = [DurableJobs1764500000000, FinishedJobsIndex1764800000000];
