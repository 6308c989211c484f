/**
 * The queues and the reconciler on a Redis of the suite's own (stopped and wiped here) and the
 * machine's PostgreSQL: jobs Postgres holds open are queued again when Redis loses them, once
 * across replicas; finished jobs past their retention are deleted; with Redis down the queues
 * refuse at once.
 */
import { randomUUID } from 'node:crypto';
import { createLogger, createRedisClient, ServiceError } from '@nomaly/platform-core';
import { Database } from '@nomaly/platform-persistence';
import { createTestDatabase, OwnRedis, type TestDatabase } from '@nomaly/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JOBS_MIGRATIONS,
  JobQueues,
  JobStore,
  QUEUE_NAMES,
  QUEUE_PREFIX,
  Reconciler,
  type NewJob,
} from '../src/index.js';

const logger = createLogger({ service: 'reconciler-spec', level: 'silent' });
let testDatabase: TestDatabase;
let database: Database;
let redisServer: OwnRedis;
let redis: Redis;
let queues: JobQueues;
let store: JobStore;
let sut: Reconciler;

function newJob(): NewJob {
  return {
    tenantId: randomUUID(),
    type: 'detect',
    detectorId: randomUUID(),
    datasetId: randomUUID(),
    seed: null,
    spec: { type: 'detect', modelId: randomUUID(), version: 1, threshold: 0, features: ['x'] },
    totalRows: 10,
    chunkRows: 10,
    createdBy: 'user',
    idempotencyKey: null,
    requestFingerprint: 'fp',
  };
}

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await Database.open({
    url: testDatabase.url,
    schema: 'detector',
    applicationName: 'nomaly-reconciler-spec',
    poolSize: 5,
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 30_000,
    entities: [],
    migrations: JOBS_MIGRATIONS,
    logger,
  });
  await database.migrate();
  redisServer = await OwnRedis.start();
  redis = createRedisClient(redisServer.url, logger);
  queues = new JobQueues(redis, { attempts: 3, delayMs: 1_000 });
  store = new JobStore(database);
  sut = new Reconciler({ database, store, queues, logger, intervalMs: 60_000, retentionDays: 30 });
  await eventuallyAvailable();
});

afterAll(async () => {
  await queues?.close();
  redis?.disconnect();
  await redisServer?.dispose();
  await database?.close();
  await testDatabase?.drop();
});

async function eventuallyAvailable(): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await queues.available())) {
    if (Date.now() > deadline) throw new Error('Redis did not come back');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(Reconciler.name, () => {
  it('queues again the open jobs Redis lost, and leaves the queued ones and finished ones alone', async () => {
    const lost = (await store.insert(newJob())).record;
    const queued = (await store.insert(newJob())).record;
    const finished = (await store.insert(newJob())).record;
    await store.cancel(finished.tenantId, finished.id);
    await queues.add('detect', queued.id);

    const report = await sut.runOnce();
    expect(report).toEqual({ skipped: false, requeued: 1, failed: 0, purged: 0 });
    expect(await queues.state('detect', lost.id)).toBe('waiting');
    expect(await queues.state('detect', finished.id)).toBe('unknown');
    // A second pass finds nothing to do: adds are idempotent, under the job's own id.
    expect(await sut.runOnce()).toEqual({ skipped: false, requeued: 0, failed: 0, purged: 0 });

    // Redis restarts empty: every open job is queued again from Postgres.
    await redisServer.stop();
    await redisServer.start();
    await eventuallyAvailable();
    expect(await queues.state('detect', queued.id)).toBe('unknown');
    const after = await sut.runOnce();
    expect(after.requeued).toBeGreaterThanOrEqual(2);
    expect(await queues.state('detect', queued.id)).toBe('waiting');
    expect(await queues.state('detect', lost.id)).toBe('waiting');
  });

  it('runs one pass at a time across replicas (an advisory lock)', async () => {
    const other = new Reconciler({
      database,
      store,
      queues,
      logger,
      intervalMs: 60_000,
      retentionDays: 30,
    });
    const [a, b] = await Promise.all([sut.runOnce(), other.runOnce()]);
    expect([a.skipped, b.skipped].filter(Boolean).length).toBeLessThanOrEqual(1);
    // Holding the lock elsewhere: the pass is skipped, not queued behind it.
    await database.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('nomaly:jobs:reconciler'))`);
      expect((await other.runOnce()).skipped).toBe(true);
    });
  });
});

describe(`${Reconciler.name} retention`, () => {
  it('deletes jobs finished longer ago than the retention, with their scores, and nothing else', async () => {
    const finishedAt = (id: string, daysAgo: number) =>
      database.dataSource.query(
        `UPDATE jobs SET finished_at = now() - make_interval(days => $2) WHERE id = $1`,
        [id, daysAgo],
      );
    // Expired: scored a chunk, then cancelled 31 days ago.
    const expired = (await store.insert(newJob())).record;
    await store.claim(expired.id);
    expect(
      await store.writeChunk(expired.id, {
        index: 0,
        offset: 0,
        scores: new Float64Array(10).fill(0.5),
        anomalies: 0,
      }),
    ).toBe(true);
    await store.cancel(expired.tenantId, expired.id);
    await finishedAt(expired.id, 31);
    // Kept: finished 29 days ago, and one still open.
    const recent = (await store.insert(newJob())).record;
    await store.cancel(recent.tenantId, recent.id);
    await finishedAt(recent.id, 29);
    const open = (await store.insert(newJob())).record;
    await queues.add('detect', open.id);

    const report = await sut.runOnce();
    expect(report.purged).toBe(1);
    expect(await store.getById(expired.id)).toBeUndefined();
    const [chunks] = await database.dataSource.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM job_chunks WHERE job_id = $1`,
      [expired.id],
    );
    expect(Number(chunks?.n)).toBe(0);
    expect((await store.getById(recent.id))?.state).toBe('cancelled');
    expect((await store.getById(open.id))?.state).toBe('queued');
    expect((await sut.runOnce()).purged).toBe(0);
  });
});

describe(`${Reconciler.name}, when the queue failed an entry without Postgres hearing of it`, () => {
  it('records the job as failed, with the queue’s reason', async () => {
    const job = (await store.insert(newJob())).record;
    await queues.add('detect', job.id);
    // A worker that fails every entry and dies before recording it (it records nothing).
    const worker = new Worker(
      QUEUE_NAMES.detect,
      () => Promise.reject(new UnrecoverableError('the dataset vanished')),
      { connection: { url: redisServer.url, maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX },
    );
    try {
      const deadline = Date.now() + 15_000;
      while ((await queues.state('detect', job.id)) !== 'failed') {
        if (Date.now() > deadline) throw new Error('the entry never failed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
    }
    expect((await sut.runOnce()).failed).toBeGreaterThanOrEqual(1);
    expect(await store.getById(job.id)).toMatchObject({
      state: 'failed',
      error: { code: 'INTERNAL', detail: 'the dataset vanished' },
    });
  });
});

describe(JobQueues.name, () => {
  it('refuses at once with 503 and Retry-After while Redis is down', async () => {
    await redisServer.stop();
    try {
      expect(await queues.available()).toBe(false);
      // "Down" as the service sees it: the connection has noticed (its close event may come a
      // moment after the failed PING above).
      const deadline = Date.now() + 5_000;
      while (redis.status === 'ready' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      let refused: unknown;
      try {
        queues.assertAvailable();
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(ServiceError);
      expect(refused).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
      expect((refused as ServiceError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(await sut.runOnce()).toEqual({ skipped: true, requeued: 0, failed: 0, purged: 0 });
    } finally {
      await redisServer.start();
      await eventuallyAvailable();
    }
  });

  it('counts entries by queue and state for the queue-depth gauge', async () => {
    const counts = await queues.counts();
    expect(counts.map((c) => `${c.queue}/${c.state}`)).toEqual(
      expect.arrayContaining(['train/waiting', 'detect/waiting', 'detect/failed']),
    );
    expect(counts.every((c) => Number.isInteger(c.count) && c.count >= 0)).toBe(true);
  });
});
