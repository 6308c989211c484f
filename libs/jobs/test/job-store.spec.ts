/**
 * JobStore against the machine's PostgreSQL (a database of the suite's own, migrated with the
 * job migrations): idempotent acceptance under concurrency, idempotent chunk writes, the state
 * guards (a cancelled job takes no more writes), and the results pages.
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '@nomaly/platform-core';
import { Database } from '@nomaly/platform-persistence';
import { createTestDatabase, type TestDatabase } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeScores, encodeScores, JobStore, type NewJob } from '../src/job-store.js';
import { JOBS_MIGRATIONS } from '../src/index.js';

let testDatabase: TestDatabase;
let database: Database;
let sut: JobStore;
const tenantId = randomUUID();

function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    tenantId,
    type: 'detect',
    detectorId: randomUUID(),
    datasetId: randomUUID(),
    seed: null,
    spec: { type: 'detect', modelId: randomUUID(), version: 1, threshold: 0.5, features: ['x'] },
    totalRows: 25,
    chunkRows: 10,
    createdBy: 'user-1',
    idempotencyKey: null,
    requestFingerprint: 'fp',
    ...overrides,
  };
}

function chunk(index: number, rows: number, offset = index * 10) {
  const scores = Float64Array.from({ length: rows }, (_, i) => (offset + i) / 20);
  return { index, offset, scores, anomalies: scores.filter((s) => s > 0.5).length };
}

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await Database.open({
    url: testDatabase.url,
    schema: 'detector',
    applicationName: 'nomaly-jobs-spec',
    poolSize: 20,
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 30_000,
    entities: [],
    migrations: JOBS_MIGRATIONS,
    logger: createLogger({ service: 'jobs-spec', level: 'silent' }),
  });
  await database.migrate();
  sut = new JobStore(database);
});

afterAll(async () => {
  await database?.close();
  await testDatabase?.drop();
});

describe('accepting jobs', () => {
  it('creates one job for many concurrent inserts with one idempotency key', async () => {
    const job = newJob({ idempotencyKey: 'key-1', requestFingerprint: 'fp-1' });
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => sut.insert(job)));
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.record.id)).size).toBe(1);
    expect(outcomes[0]?.record).toMatchObject({ state: 'queued', attempts: 0, progressRows: 0 });
  });

  it('keeps keys apart per caller, and any number of jobs without a key', async () => {
    const a = await sut.insert(newJob({ idempotencyKey: 'shared', createdBy: 'alice' }));
    const b = await sut.insert(newJob({ idempotencyKey: 'shared', createdBy: 'bob' }));
    expect(a.record.id).not.toBe(b.record.id);
    const c = await sut.insert(newJob());
    const d = await sut.insert(newJob());
    expect([c.created, d.created]).toEqual([true, true]);
  });

  it('hides another tenant’s job as if it did not exist', async () => {
    const { record } = await sut.insert(newJob());
    expect(await sut.get(tenantId, record.id)).toBeDefined();
    expect(await sut.get(randomUUID(), record.id)).toBeUndefined();
    expect(await sut.cancel(randomUUID(), record.id)).toEqual({ kind: 'missing' });
  });
});

describe('running jobs', () => {
  it('counts attempts, and an interruption when a worker takes a job that was running', async () => {
    const { record } = await sut.insert(newJob());
    expect(await sut.claim(record.id)).toMatchObject({
      state: 'running',
      attempts: 1,
      interruptions: 0,
    });
    // Its worker vanished: the next one takes it while it is still running.
    expect(await sut.claim(record.id)).toMatchObject({ attempts: 2, interruptions: 1 });
    // Handed back (SIGTERM): the next pickup is not an interruption.
    expect(await sut.requeue(record.id)).toBe(true);
    expect(await sut.claim(record.id)).toMatchObject({ attempts: 3, interruptions: 1 });
  });

  it('stores a chunk written twice once, and counts its rows once', async () => {
    const { record } = await sut.insert(newJob());
    await sut.claim(record.id);
    expect(await sut.writeChunk(record.id, chunk(1, 10))).toBe(true);
    expect(await sut.writeChunk(record.id, chunk(1, 10))).toBe(true);
    await Promise.all([
      sut.writeChunk(record.id, chunk(2, 5)),
      sut.writeChunk(record.id, chunk(2, 5)),
    ]);
    expect(await sut.storedChunks(record.id)).toEqual(new Set([1, 2]));
    expect(await sut.chunkSummary(record.id)).toEqual({ chunks: 2, rows: 15, anomalies: 14 });
    expect((await sut.getById(record.id))?.progressRows).toBe(15);
  });

  it('refuses writes to a cancelled job: the worker stops at its next chunk', async () => {
    const { record } = await sut.insert(newJob());
    await sut.claim(record.id);
    expect(await sut.writeChunk(record.id, chunk(0, 10))).toBe(true);
    expect(await sut.cancel(tenantId, record.id)).toMatchObject({ kind: 'cancelled' });
    expect(await sut.writeChunk(record.id, chunk(1, 10))).toBe(false);
    expect(await sut.setProgress(record.id, 20)).toBe(false);
    expect(
      await sut.succeed(record.id, {
        location: 'x',
        rows: 0,
        anomalies: 0,
        threshold: 0,
        modelVersion: { id: 'm:1', modelId: 'm', version: 1 },
      }),
    ).toBe(false);
    expect(await sut.claim(record.id)).toBeUndefined();
    expect(await sut.storedChunks(record.id)).toEqual(new Set([0]));
    // Cancelling again answers the cancelled job; a finished one cannot be cancelled.
    expect(await sut.cancel(tenantId, record.id)).toMatchObject({ kind: 'cancelled' });
  });

  it('moves along the life cycle only: no success after failure, no cancel after success', async () => {
    const failed = (await sut.insert(newJob())).record;
    await sut.claim(failed.id);
    expect(await sut.fail(failed.id, { code: 'VALIDATION_FAILED', detail: 'bad' })).toBe(true);
    expect(
      await sut.succeed(failed.id, {
        location: 'x',
        rows: 0,
        anomalies: 0,
        threshold: 0,
        modelVersion: { id: 'm:1', modelId: 'm', version: 1 },
      }),
    ).toBe(false);
    expect(await sut.requeue(failed.id)).toBe(false);
    expect((await sut.getById(failed.id))?.error).toEqual({
      code: 'VALIDATION_FAILED',
      detail: 'bad',
    });

    const done = (await sut.insert(newJob())).record;
    await sut.claim(done.id);
    const result = {
      location: 'x',
      rows: 25,
      anomalies: 3,
      threshold: 0.5,
      modelVersion: { id: 'm:1', modelId: 'm', version: 1 },
    };
    expect(await sut.succeed(done.id, result)).toBe(true);
    expect(await sut.cancel(tenantId, done.id)).toMatchObject({ kind: 'finished' });
    expect(await sut.getById(done.id)).toMatchObject({ state: 'succeeded', result });
  });

  it('rolls the success back when the work of the same transaction fails', async () => {
    const { record } = await sut.insert(newJob());
    await sut.claim(record.id);
    const result = {
      location: 'x',
      rows: 25,
      anomalies: 0,
      threshold: 0.5,
      modelVersion: { id: 'm:1', modelId: 'm', version: 1 },
    };
    await expect(
      sut.succeed(record.id, result, () => Promise.reject(new Error('the detector update failed'))),
    ).rejects.toThrow('the detector update failed');
    expect((await sut.getById(record.id))?.state).toBe('running');
  });

  it('lists the open jobs for the reconciler, oldest first', async () => {
    const open = await sut.open(1_000);
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((job) => job.state === 'queued' || job.state === 'running')).toBe(true);
  });
});

describe('results', () => {
  it('pages scores by row index from the stored chunks, skipping chunks not stored yet', async () => {
    const { record } = await sut.insert(newJob());
    await sut.claim(record.id);
    await sut.writeChunk(record.id, chunk(0, 10));
    await sut.writeChunk(record.id, chunk(2, 5));
    const first = await sut.results(tenantId, record.id, { limit: 7, cursor: undefined });
    expect(first.items.map((r) => r.rowIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(first.items[6]).toEqual({ rowIndex: 6, score: 0.3, label: 0 });
    const second = await sut.results(tenantId, record.id, { limit: 7, cursor: first.nextCursor });
    expect(second.items.map((r) => r.rowIndex)).toEqual([7, 8, 9, 20, 21, 22, 23]);
    const third = await sut.results(tenantId, record.id, { limit: 7, cursor: second.nextCursor });
    expect(third.items.map((r) => r.rowIndex)).toEqual([24]);
    expect(third.nextCursor).toBeUndefined();
    expect(third.items[0]).toEqual({ rowIndex: 24, score: 1.2, label: 1 });
    await expect(sut.results(tenantId, record.id, { limit: 7, cursor: 'bogus!' })).rejects.toThrow(
      /cursor/,
    );
    await expect(
      sut.results(randomUUID(), record.id, { limit: 7, cursor: undefined }),
    ).rejects.toThrow(/No job/);
  });
});

describe('stored scores', () => {
  it('are little-endian doubles that come back bit for bit', () => {
    const scores = Float64Array.from([1, -0, 0.1, Number.MAX_VALUE, Number.MIN_VALUE, -2.5e-300]);
    const bytes = encodeScores(scores);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('000000000000f03f');
    expect(Array.from(decodeScores(bytes))).toEqual(Array.from(scores));
    expect(Object.is(decodeScores(bytes)[1], -0)).toBe(true);
    expect(() => decodeScores(Buffer.alloc(12))).toThrow(/12 bytes/);
  });
});
