/**
 * Batch detection over `cover.csv` (286,048 rows × 10 features, from the shared data sets)
 * through real processes while things go wrong: the worker killed with `kill -9` at seeded
 * random points a dozen times, stopped with SIGTERM mid-job, Redis restarted empty under a
 * running and a queued job, and a cancel mid-job. Every completed job has exactly one score per input row, equal
 * to the library's scores on the same model and rows.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, Random } from '@nomaly/detection-core';
import { sharedDir, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allResults,
  addDetector,
  call,
  jobRow,
  json,
  loadVersion,
  startJobsStack,
  uploadCsv,
  waitForJob,
  type JobsStack,
  type JobView,
} from './stack.js';

const CHUNK_ROWS = 5_000;
/** kill -9s of the worker during one job (the issue asks for at least 10). */
const KILLS = 12;

const shared = sharedDir();
if (shared === undefined) {
  console.info('faults.spec: no ../shared/datasets (cover.csv); the fault suite is skipped');
}

let stack: JobsStack;
let token: string;
let detectorId: string;
let datasetId: string;
let rowCount: number;
/** The library's scores of every cover row with the trained model. */
let expected: Float64Array;
let threshold: number;

function readCover(): { csv: string; rows: Float64Array; n: number; features: string[] } {
  const csv = readFileSync(join(shared as string, 'datasets', 'cover.csv'), 'utf8');
  const [header = '', ...lines] = csv.trimEnd().split('\n');
  const names = header.split(',');
  const labelAt = names.indexOf('label');
  const features = names.filter((_, j) => j !== labelAt);
  const rows = new Float64Array(lines.length * features.length);
  lines.forEach((line, i) => {
    let j = 0;
    line.split(',').forEach((value, k) => {
      if (k !== labelAt) rows[i * features.length + j++] = Number(value);
    });
  });
  return { csv, rows, n: lines.length, features };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls the job row until `until` holds (bounded), returning the row. */
async function watch(
  jobId: string,
  until: (row: Awaited<ReturnType<typeof jobRow>>) => boolean,
  withinMs = 120_000,
): Promise<Awaited<ReturnType<typeof jobRow>>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const row = await jobRow(stack, jobId);
    if (until(row)) return row;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} never got there: ${JSON.stringify(row)}`);
    await sleep(25);
  }
}

async function submitDetect(): Promise<string> {
  const job = await json<JobView>(
    await call(stack.detector, '/api/v1/jobs', token, {
      method: 'POST',
      json: { type: 'detect', detectorId, datasetId },
    }),
    202,
  );
  return job.id;
}

/** Exactly one stored score per row, in row order, each equal to the library's. */
async function expectExactResults(jobId: string): Promise<void> {
  const [chunks] = await sql<{ chunks: string; distinct_chunks: string; rows: string }>(
    stack.database.url,
    `SELECT count(*) AS chunks, count(DISTINCT chunk_index) AS distinct_chunks, sum(row_count) AS rows
       FROM detector.job_chunks WHERE job_id = $1`,
    [jobId],
  );
  expect(Number(chunks?.chunks)).toBe(Math.ceil(rowCount / CHUNK_ROWS));
  expect(Number(chunks?.distinct_chunks)).toBe(Number(chunks?.chunks));
  expect(Number(chunks?.rows)).toBe(rowCount);

  const results = await allResults(stack, token, jobId);
  expect(results).toHaveLength(rowCount);
  let misplaced = -1;
  let wrongScore = -1;
  let wrongLabel = -1;
  results.forEach((result, i) => {
    if (misplaced < 0 && result.rowIndex !== i) misplaced = i;
    if (wrongScore < 0 && result.score !== expected[i]) wrongScore = i;
    const label = (expected[i] as number) > threshold ? 1 : 0;
    if (wrongLabel < 0 && result.label !== label) wrongLabel = i;
  });
  expect({ misplaced, wrongScore, wrongLabel }).toEqual({
    misplaced: -1,
    wrongScore: -1,
    wrongLabel: -1,
  });
}

beforeAll(async () => {
  if (shared === undefined) return;
  stack = await startJobsStack({
    ownRedis: true,
    detectorEnv: { JOB_CHUNK_ROWS: String(CHUNK_ROWS) },
    // Short locks, so a killed worker's job is handed on within seconds, not half a minute.
    workerEnv: {
      JOB_LOCK_MS: '3000',
      JOB_STALLED_CHECK_MS: '1000',
      JOB_RECONCILE_INTERVAL_MS: '1000',
      JOB_MAX_INTERRUPTIONS: '100',
    },
  });
  await stack.startWorker();
  token = (await stack.auth.tokenFor('acme')).token;
  const cover = readCover();
  rowCount = cover.n;
  datasetId = await uploadCsv(stack, token, 'cover', cover.csv);
  detectorId = await addDetector(stack, token, {
    name: 'cover forest',
    algorithm: 'iforest',
    parameters: { contamination: 0.01 },
  });
  // 286,048 rows: above SYNC_TRAIN_MAX_ROWS, so this is a train job too.
  const training = await json<{ jobId: string }>(
    await call(stack.detector, `/api/v1/detectors/${detectorId}/train`, token, {
      method: 'POST',
      json: { datasetId, seed: 11 },
    }),
    202,
  );
  const trained = await waitForJob(stack, token, training.jobId, 180_000);
  expect(trained.state).toBe('succeeded');
  const model = await loadVersion(stack, token, trained.result?.modelVersion);
  expected = model.score(new Matrix(cover.rows, cover.n, cover.features.length, cover.features));
  threshold = model.threshold;
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(shared === undefined)('a batch job over cover.csv', () => {
  it(`completes with exactly the library's scores though its worker is killed (kill -9) ${KILLS} times at random points`, async () => {
    const random = new Random(20_261_127);
    // Where to strike: seeded fractions of the job's progress, then a random delay on top.
    const targets = Array.from({ length: KILLS }, () => random.between(0.02, 0.85)).sort(
      (a, b) => a - b,
    );
    const jobId = await submitDetect();
    let kills = 0;
    let attempts = 0;
    for (const target of targets) {
      // The current worker has picked the job up (its claim counts an attempt) and gone past
      // the target — or the job is over.
      const row = await watch(
        jobId,
        (r) => r.state === 'succeeded' || (r.attempts > attempts && r.progress / r.total >= target),
      );
      if (row.state === 'succeeded') break;
      attempts = row.attempts;
      await sleep(random.between(0, 100));
      const worker = stack.worker;
      if (worker === undefined) throw new Error('no worker running');
      const exited = once(worker.process, 'exit');
      worker.process.kill('SIGKILL');
      await exited;
      await stack.startWorker();
      // A kill that landed after the last chunk's success interrupted nothing.
      if ((await jobRow(stack, jobId)).state === 'succeeded') break;
      kills += 1;
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    const done = await waitForJob(stack, token, jobId, 180_000);
    expect(done.state).toBe('succeeded');
    const row = await jobRow(stack, jobId);
    // Every kill interrupted a run: each was followed by another pickup (a lock that lapsed on a
    // loaded machine would add one more).
    expect(row.attempts).toBeGreaterThanOrEqual(kills + 1);
    expect(row.interruptions).toBeGreaterThanOrEqual(kills);
    console.info(
      `faults.spec: ${kills} kill -9s at progress ${targets
        .slice(0, kills)
        .map((t) => t.toFixed(2))
        .join(', ')}; ${row.attempts} attempts`,
    );
    await expectExactResults(jobId);
  });

  it('hands the job back on SIGTERM (exit 0) after the chunks in hand; the next worker finishes it', async () => {
    const jobId = await submitDetect();
    await watch(jobId, (r) => r.attempts === 1 && r.progress / r.total >= 0.3);
    expect(await stack.worker?.stop()).toBe(0);
    const released = await jobRow(stack, jobId);
    expect(released).toMatchObject({ state: 'queued', interruptions: 0 });
    expect(released.progress).toBeLessThan(rowCount);
    await stack.startWorker();
    expect((await waitForJob(stack, token, jobId)).state).toBe('succeeded');
    expect((await jobRow(stack, jobId)).attempts).toBeGreaterThanOrEqual(2);
    await expectExactResults(jobId);
  });

  it('completes a running and a queued job when Redis restarts empty: both queued again from Postgres, no duplicates', async () => {
    // One job of a type runs at a time: the second waits in Redis, where only the wipe can
    // lose it and only the reconciler (reading Postgres) can bring it back.
    const running = await submitDetect();
    const waiting = await submitDetect();
    await watch(running, (r) => r.attempts === 1 && r.progress > 0);
    expect((await jobRow(stack, waiting)).state).toBe('queued');
    const redis = stack.redis;
    const worker = stack.worker;
    if (redis === undefined || worker === undefined) throw new Error('no Redis or worker');
    // The worker is frozen across the restart (as in a long pause), so the running job is
    // mid-run when its queue entry vanishes, and its lock is overdue when the worker wakes.
    worker.process.kill('SIGSTOP');
    try {
      await redis.stop();
      await redis.start();
      await sleep(3_500);
    } finally {
      worker.process.kill('SIGCONT');
    }
    for (const jobId of [running, waiting]) {
      expect((await waitForJob(stack, token, jobId)).state).toBe('succeeded');
      await expectExactResults(jobId);
    }
    const requeued = (jobId: string): boolean =>
      worker.logs.some(
        (line) =>
          line.jobId === jobId &&
          line.msg === 'open job had no live queue entry; queued it again from Postgres',
      );
    expect(requeued(running) && requeued(waiting)).toBe(true);
    expect(
      worker.logs.some(
        (line) =>
          line.jobId === running &&
          line.msg === 'queue lock lost; stopping the run (the job resumes elsewhere)',
      ),
    ).toBe(true);
    expect((await jobRow(stack, running)).interruptions).toBeGreaterThanOrEqual(1);
  });

  it('stops a running job at its next chunk when cancelled; what it stored stays readable', async () => {
    const jobId = await submitDetect();
    await watch(jobId, (r) => r.attempts === 1 && r.progress / r.total >= 0.2);
    const cancelled = await json<JobView>(
      await call(stack.detector, `/api/v1/jobs/${jobId}/cancel`, token, { method: 'POST' }),
      200,
    );
    expect(cancelled.state).toBe('cancelled');
    const deadline = Date.now() + 60_000;
    while (!stack.worker?.logs.some((l) => l.msg === 'job cancelled' && l.jobId === jobId)) {
      if (Date.now() > deadline) throw new Error('the worker never stopped the cancelled job');
      await sleep(50);
    }
    const row = await jobRow(stack, jobId);
    expect(row.state).toBe('cancelled');
    expect(row.progress).toBeLessThan(rowCount);
    const stored = await allResults(stack, token, jobId);
    expect(stored).toHaveLength(row.progress);
    expect(stored.every((r) => r.score === expected[r.rowIndex])).toBe(true);
  });
});
