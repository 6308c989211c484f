import { availableParallelism } from 'node:os';
import { envInteger, loadConfig, serviceConfigSchema } from '@nomaly/platform-core';
import { jobQueueEnvShape } from '@nomaly/jobs';
import { z } from 'zod';

export const WORKER_DEFAULTS = {
  serviceName: 'worker',
  /** The worker serves only probes and metrics over HTTP; it has no gRPC server. */
  httpPort: 8005,
  grpcPort: 0,
} as const;

const grpcAddress = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
    .default(fallback);

/** The worker's variables on top of the platform's. */
export const workerConfigSchema = serviceConfigSchema(WORKER_DEFAULTS, {
  ...jobQueueEnvShape,
  /** gRPC address of the dataset-service (rows to train on and to score). */
  DATASET_SERVICE_GRPC_URL: grpcAddress('127.0.0.1:50052'),
  /** gRPC address of the model-service (versions to load and publish). */
  MODEL_SERVICE_GRPC_URL: grpcAddress('127.0.0.1:50053'),
  /** Jobs of each type (train, detect) this process runs at once. */
  WORKER_CONCURRENCY: envInteger(1, 1, 64),
  /** Scoring and fitting threads (node:worker_threads); default: the cores available. */
  WORKER_THREADS: envInteger(availableParallelism(), 1, 256),
  /**
   * How long a job's queue lock lasts without renewal (renewed every half of it). A worker that
   * dies holding a job gives it up after this long plus `JOB_STALLED_CHECK_MS`.
   */
  JOB_LOCK_MS: envInteger(30_000, 1_000, 600_000),
  /** How often the queue looks for jobs whose worker died (their lock expired). */
  JOB_STALLED_CHECK_MS: envInteger(15_000, 500, 600_000),
  /**
   * A job picked up this many times after its worker vanished mid-run (killed, out of memory,
   * lock lost) fails instead of being tried again: it may be what kills the workers.
   */
  JOB_MAX_INTERRUPTIONS: envInteger(20, 1, 10_000),
  /** How often Postgres and the queue are compared (jobs Redis lost are queued again). */
  JOB_RECONCILE_INTERVAL_MS: envInteger(5_000, 200, 600_000),
  /** Finished jobs and their stored scores are deleted this many days after they finished. */
  JOB_RETENTION_DAYS: envInteger(30, 1, 3_650),
}).superRefine(
  (config, ctx) => {
    if (config.REDIS_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'is required: the worker takes its jobs from the BullMQ queues in Redis',
      });
    }
    if (config.DATABASE_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: "is required: the worker shares the detector-service's database (schema detector)",
      });
    }
    // Run even when other variables are malformed, so one boot reports every problem.
  },
  { when: () => true },
);

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export function loadWorkerConfig(env?: Readonly<Record<string, string | undefined>>): WorkerConfig {
  return loadConfig(workerConfigSchema, env);
}
