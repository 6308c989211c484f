import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { DatasetClient, ModelClient } from '@nomaly/detector-runtime';
import {
  JOB_TYPES,
  JOBS_MIGRATIONS,
  JobQueues,
  JobStore,
  QUEUE_NAMES,
  QUEUE_PREFIX,
  Reconciler,
  type QueuePayload,
} from '@nomaly/jobs';
import {
  createLogger,
  createRedisClient,
  effectiveLogLevel,
  LogThrottle,
  maskConfig,
  PlatformMetrics,
  Resilience,
  type Logger,
} from '@nomaly/platform-core';
import { Database, databaseOptions } from '@nomaly/platform-persistence';
import { Worker, type ConnectionOptions } from 'bullmq';
import type { WorkerConfig } from './config.js';
import { startProbeServer } from './http/probe-server.js';
import { JobProcessor } from './processing/job-processor.js';
import { ThreadPool } from './scoring/thread-pool.js';
import { WorkerMetrics } from './worker-metrics.js';

export const WORKER_VERSION = '0.1.0';

/** The detector-service's schema: the job tables live there (see `@nomaly/jobs`). */
const SCHEMA = 'detector';
/** Longest wait between reconnections to Redis: a restarted Redis is used again within it. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** One log line per this interval while the queue connections keep failing. */
const QUEUE_ERROR_LOG_INTERVAL_MS = 30_000;
/** Time kept, out of SHUTDOWN_TIMEOUT_MS, for closing connections after the runs stopped. */
const CLOSE_RESERVE_MS = 2_000;

export interface RunningWorker {
  readonly logger: Logger;
  /** Stops taking jobs, hands back or finishes the runs, closes everything; never rejects. */
  stop(): Promise<void>;
}

/**
 * BullMQ's own connections (one regular, one blocking per queue worker): no per-request retry
 * limit and an offline queue, as blocking commands require, and reconnection capped at 2 s.
 */
function queueConnection(config: WorkerConfig): ConnectionOptions {
  return {
    url: config.REDIS_URL,
    connectionName: config.SERVICE_NAME,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) =>
      Math.min(100 * 2 ** Math.min(times, 5), MAX_RECONNECT_DELAY_MS),
  };
}

/**
 * Starts the worker: the database (the job tables must be migrated: the detector-service's
 * `migrate` command owns them), the queue workers for train and detect jobs, the scoring
 * threads, the reconciler, and the probe server on `HOST:PORT`.
 */
export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const logger = createLogger({ service: config.SERVICE_NAME, level: effectiveLogLevel(config) });
  logger.info({ config: maskConfig(config) }, 'configuration');
  const metrics = new PlatformMetrics(config.SERVICE_NAME);
  const resilience = new Resilience({
    service: config.SERVICE_NAME,
    enabled: config.RESILIENCE_ENABLED,
    breakersEnabled: config.CIRCUIT_BREAKER_ENABLED,
    logger,
    metrics,
  });
  const database = await Database.open(
    databaseOptions(
      config,
      { schema: SCHEMA, entities: [], migrations: JOBS_MIGRATIONS },
      { logger, metrics },
    ),
  );
  const pending = await database.pendingMigrations();
  if (pending.length > 0) {
    await database.close();
    throw new Error(
      `The ${SCHEMA} schema lacks the job tables: ${pending.join(', ')} pending. Run the detector-service's migrations first (node apps/detector-service/dist/cli.js migrate up).`,
    );
  }
  resilience.registerProbe('database', async () => (await database.ping(1_000)).ok);

  const redisUrl = config.REDIS_URL;
  if (redisUrl === undefined) throw new Error('REDIS_URL is required');
  const redis = createRedisClient(redisUrl, logger, { connectionName: config.SERVICE_NAME });
  const queues = new JobQueues(redis, {
    attempts: config.JOB_RETRY_ATTEMPTS,
    delayMs: config.JOB_RETRY_DELAY_MS,
  });
  const store = new JobStore(database);
  const datasets = new DatasetClient({ address: config.DATASET_SERVICE_GRPC_URL, resilience });
  const models = new ModelClient({ address: config.MODEL_SERVICE_GRPC_URL, resilience });
  const pool = new ThreadPool(
    new URL('./scoring/scoring-thread.js', import.meta.url),
    config.WORKER_THREADS,
    logger,
  );
  const workerMetrics = new WorkerMetrics(metrics.registry, queues, logger);
  const processor = new JobProcessor(
    { store, datasets, models, pool, logger, metrics: workerMetrics },
    { maxInterruptions: config.JOB_MAX_INTERRUPTIONS, lockMs: config.JOB_LOCK_MS },
  );

  const throttle = new LogThrottle(QUEUE_ERROR_LOG_INTERVAL_MS);
  const workers = JOB_TYPES.map((type) => {
    const worker = new Worker<QueuePayload, string>(QUEUE_NAMES[type], processor.process, {
      connection: queueConnection(config),
      prefix: QUEUE_PREFIX,
      name: `${hostname()}:${process.pid}`,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.JOB_LOCK_MS,
      stalledInterval: config.JOB_STALLED_CHECK_MS,
      // Postgres counts the interruptions and fails the job past JOB_MAX_INTERRUPTIONS; BullMQ's
      // own count restarts whenever Redis does, so it only backs that limit up.
      maxStalledCount: config.JOB_MAX_INTERRUPTIONS + 1,
    });
    worker.on('error', (error) => {
      const suppressed = throttle.take(type);
      if (suppressed !== undefined)
        logger.warn({ err: error, queue: type, suppressed }, 'queue worker error');
    });
    worker.on('lockRenewalFailed', (jobIds) => processor.lockLost(jobIds));
    worker.on('locksRenewed', ({ jobIds }) => processor.locksRenewed(jobIds));
    worker.on('stalled', (jobId) =>
      logger.warn({ jobId, queue: type }, 'job stalled (its worker vanished); queued again'),
    );
    return worker;
  });

  const reconciler = new Reconciler({
    database,
    store,
    queues,
    logger,
    intervalMs: config.JOB_RECONCILE_INTERVAL_MS,
    retentionDays: config.JOB_RETENTION_DAYS,
  });
  reconciler.start();

  const startedAt = new Date();
  let draining = false;
  let server: Server;
  try {
    server = await startProbeServer(
      {
        service: config.SERVICE_NAME,
        version: WORKER_VERSION,
        startedAt,
        database,
        metrics,
        resilience,
        queueAvailable: () => queues.available(),
        draining: () => draining,
        load: () => ({ jobs: processor.running, threads: pool.size }),
      },
      { host: config.HOST, port: config.PORT },
      logger,
    );
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.close(true)));
    await reconciler.stop();
    await pool.close();
    redis.disconnect();
    await database.close();
    throw error;
  }
  logger.info(
    { http: `http://${config.HOST}:${config.PORT}`, threads: pool.size, queues: JOB_TYPES },
    `${config.SERVICE_NAME} listening`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      processor.shutdown();
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const grace = Math.max(0, config.SHUTDOWN_TIMEOUT_MS - CLOSE_RESERVE_MS);
      if (!(await settlesWithin(closing, grace))) {
        // The chunks in hand take too long: the threads stop, and the runs hand their jobs back.
        logger.warn(
          { graceMs: grace },
          'runs did not finish in time; stopping the scoring threads',
        );
        await pool.close();
        await settlesWithin(closing, CLOSE_RESERVE_MS);
      }
      await reconciler.stop().catch(() => undefined);
      await pool.close();
      await queues.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      datasets.close();
      models.close();
      resilience.shutdown();
      await Promise.race([
        redis.quit().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
      ]);
      redis.disconnect();
      await database.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { logger, stop };
}

/** Whether `promise` settles within `ms` (its outcome is the caller's to observe). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
