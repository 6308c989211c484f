/**
 * The jobs API through real processes (auth, dataset, model, detector-service, worker) on the
 * machine's Postgres and a Redis of the suite's own: train and detect jobs run by the worker
 * with the library's exact scores, idempotent submission under 1,000 concurrent requests, 503
 * at once while Redis is down (nothing written), cancel, validation and tenancy.
 */
import { createDetector, Matrix, Random } from '@nomaly/detection-core';
import { eventually, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allResults,
  addDetector,
  call,
  json,
  loadVersion,
  startJobsStack,
  uploadCsv,
  waitForJob,
  type JobsStack,
  type JobView,
} from './stack.js';

const FEATURES = ['a', 'b', 'c', 'd'];
const ROWS = 3_000;

let stack: JobsStack;
let token: string;
let viewerToken: string;
let otherToken: string;
let datasetId: string;
let detectorId: string;
let rows: number[][];

/** Seeded Gaussian rows with an outlier every 60th row. */
function dataset(): { csv: string; rows: number[][] } {
  const random = new Random(3);
  const out: number[][] = [];
  for (let i = 0; i < ROWS; i++) {
    const outlier = i % 60 === 0;
    out.push(FEATURES.map(() => (outlier ? random.between(-9, 9) : random.normal())));
  }
  const csv = [FEATURES.join(','), ...out.map((row) => row.join(','))].join('\n');
  return { csv: `${csv}\n`, rows: out };
}

async function problem(
  response: Response,
  status: number,
): Promise<{ code: string; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/problem\+json/);
  return json(response, status);
}

function submit(
  body: unknown,
  headers: Record<string, string> = {},
  as = token,
): Promise<Response> {
  return call(stack.detector, '/api/v1/jobs', as, { method: 'POST', json: body, headers });
}

beforeAll(async () => {
  stack = await startJobsStack({
    ownRedis: true,
    // Datasets over 1,000 rows train as jobs; 500-row chunks give a detect job 6 of them.
    detectorEnv: { SYNC_TRAIN_MAX_ROWS: '1000', JOB_CHUNK_ROWS: '500' },
    workerEnv: { JOB_RECONCILE_INTERVAL_MS: '1000' },
  });
  await stack.startWorker();
  token = (await stack.auth.tokenFor('acme', ['analyst'])).token;
  viewerToken = (await stack.auth.tokenFor('acme', ['viewer'])).token;
  otherToken = (await stack.auth.tokenFor('globex')).token;
  const data = dataset();
  rows = data.rows;
  datasetId = await uploadCsv(stack, token, 'gauss', data.csv);
  detectorId = await addDetector(stack, token, {
    name: 'gauss',
    algorithm: 'iforest',
    parameters: { nEstimators: 50 },
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('train jobs', () => {
  it('trains a large dataset as a durable job: 202 and Location, run by the worker, recorded on the detector', async () => {
    const response = await call(stack.detector, `/api/v1/detectors/${detectorId}/train`, token, {
      method: 'POST',
      json: { datasetId, seed: 7 },
    });
    const accepted = await json<JobView & { jobId: string }>(response, 202);
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${accepted.jobId}`);
    expect(accepted).toMatchObject({
      id: accepted.jobId,
      type: 'train',
      state: 'queued',
      detectorId,
      datasetId,
      progress: { rows: 0, totalRows: ROWS },
    });
    const done = await waitForJob(stack, viewerToken, accepted.jobId);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      progress: { rows: ROWS, totalRows: ROWS },
      result: { rows: ROWS, modelVersion: { version: 1 } },
    });
    const detector = await json<{ latestVersion: number; modelId: string }>(
      await call(stack.detector, `/api/v1/detectors/${detectorId}`, viewerToken),
      200,
    );
    expect(detector).toMatchObject({
      latestVersion: 1,
      modelId: done.result?.modelVersion.modelId,
    });
    // The model is the library's on the same rows and seed.
    const reference = createDetector('iforest', { nEstimators: 50, seed: 7 }).fit(
      Matrix.fromRows(rows, FEATURES),
    );
    expect(done.result?.threshold).toBe(reference.threshold);
    // A train job has no row results.
    await problem(await call(stack.detector, `/api/v1/jobs/${done.id}/results`, viewerToken), 404);
  });

  it('publishes no second version when a train job runs again after its success was lost', async () => {
    // A detector of its own, so the other tests' version numbers stay as they expect.
    const retrained = await addDetector(stack, token, {
      name: 'retrained',
      algorithm: 'iforest',
      parameters: { nEstimators: 20 },
    });
    const first = await waitForJob(
      stack,
      token,
      (
        await json<{ jobId: string }>(
          await call(stack.detector, `/api/v1/detectors/${retrained}/train`, token, {
            method: 'POST',
            json: { datasetId, seed: 8 },
          }),
          202,
        )
      ).jobId,
    );
    expect(first.state).toBe('succeeded');
    const published = first.result?.modelVersion;
    const versions = async (): Promise<number> =>
      (
        await json<{ items: unknown[] }>(
          await call(
            stack.model,
            `/api/v1/models/${published?.modelId}/versions?limit=100`,
            viewerToken,
          ),
          200,
        )
      ).items.length;
    const before = await versions();
    // As if the worker died after publishing, before it recorded the success: the job is open
    // in Postgres, and the reconciler hands it to a worker again, which trains it once more.
    await sql(
      stack.database.url,
      `UPDATE detector.jobs SET state = 'running', result = NULL, finished_at = NULL WHERE id = $1`,
      [first.id],
    );
    const again = await waitForJob(stack, token, first.id);
    expect(again).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(again.result?.modelVersion).toEqual(published);
    expect(await versions()).toBe(before);
    expect(
      stack.model.logs.some(
        (line) =>
          line.msg === 'model version already published under its key' &&
          line.version === published?.version,
      ),
    ).toBe(true);
  });
});

describe('detect jobs', () => {
  it('scores every row of a stored dataset exactly as the library does, paged by row index', async () => {
    const response = await submit({ type: 'detect', detectorId, datasetId });
    const accepted = await json<JobView>(response, 202);
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${accepted.id}`);
    expect(accepted.modelVersion?.version).toBe(1);
    const done = await waitForJob(stack, viewerToken, accepted.id);
    expect(done).toMatchObject({
      state: 'succeeded',
      progress: { rows: ROWS, totalRows: ROWS },
      result: { location: `/api/v1/jobs/${accepted.id}/results`, rows: ROWS },
    });

    const model = await loadVersion(stack, token, done.result?.modelVersion);
    const expected = model.score(Matrix.fromRows(rows, FEATURES));

    const results = await allResults(stack, viewerToken, accepted.id, 700);
    expect(results.map((r) => r.rowIndex)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(results.map((r) => r.score)).toEqual(Array.from(expected));
    expect(results.map((r) => r.label)).toEqual(
      Array.from(expected, (s) => (s > model.threshold ? 1 : 0)),
    );
    expect(done.result?.anomalies).toBe(results.filter((r) => r.label === 1).length);
    expect(done.result?.threshold).toBe(model.threshold);
  });

  it('refuses a detect job for a detector never trained (409)', async () => {
    const untrained = await addDetector(stack, token, { name: 'untrained', algorithm: 'hbos' });
    const refused = await problem(
      await submit({ type: 'detect', detectorId: untrained, datasetId }),
      409,
    );
    expect(refused.detail).toContain('train it first');
  });
});

describe('idempotent submission', () => {
  it('creates one job for 1,000 concurrent submissions with one Idempotency-Key', async () => {
    const key = `batch-${Date.now()}`;
    const body = { type: 'detect', detectorId, datasetId };
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, () => submit(body, { 'Idempotency-Key': key })),
    );
    const answers = await Promise.all(
      responses.map(async (response) => ({
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        job: (await response.json()) as JobView,
      })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 202]));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200).every((a) => a.replayed === 'true')).toBe(true);
    const ids = new Set(answers.map((a) => a.job.id));
    expect(ids.size).toBe(1);
    const [stored] = await sql<{ n: string }>(
      stack.database.url,
      `SELECT count(*) AS n FROM detector.jobs WHERE idempotency_key = $1`,
      [key],
    );
    expect(Number(stored?.n)).toBe(1);

    const reused = await problem(
      await submit({ type: 'train', detectorId, datasetId }, { 'Idempotency-Key': key }),
      422,
    );
    expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await waitForJob(stack, token, [...ids][0] as string);
  });
});

describe('Redis down', () => {
  it('answers 503 with Retry-After at once and writes no job', async () => {
    const before = await stack.count('jobs');
    await stack.redis?.stop();
    try {
      const started = performance.now();
      // Bounded: a client left waiting on Redis would hit this abort instead of an answer.
      const response = await submit({ type: 'detect', detectorId, datasetId }, {}, token);
      const elapsedMs = performance.now() - started;
      const refused = await problem(response, 503);
      expect(refused.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      console.info(`jobs.spec: 503 with Redis down answered in ${elapsedMs.toFixed(0)} ms`);
      expect(await stack.count('jobs')).toBe(before);
    } finally {
      await stack.redis?.start();
    }
    // Back up: once the detector-service's queue connection is back (a submission before that
    // is refused as above, writing nothing), submissions are accepted and run again.
    const accepted = await eventually(
      async () => json<JobView>(await submit({ type: 'detect', detectorId, datasetId }), 202),
      15_000,
    );
    expect((await waitForJob(stack, token, accepted.id)).state).toBe('succeeded');
  });
});

describe('cancel', () => {
  it('cancels a queued job, which no worker then runs; a finished job is a 409', async () => {
    const worker = stack.worker;
    expect(await worker?.stop()).toBe(0);
    const queued = await json<JobView>(
      await submit({ type: 'detect', detectorId, datasetId }),
      202,
    );
    const cancelled = await json<JobView>(
      await call(stack.detector, `/api/v1/jobs/${queued.id}/cancel`, token, { method: 'POST' }),
      200,
    );
    expect(cancelled.state).toBe('cancelled');
    // Cancelling again answers the cancelled job.
    expect(
      (
        await json<JobView>(
          await call(stack.detector, `/api/v1/jobs/${queued.id}/cancel`, token, { method: 'POST' }),
          200,
        )
      ).state,
    ).toBe('cancelled');

    await stack.startWorker();
    // The queue runs in order: once a later job is done, the cancelled one has been skipped.
    const later = await json<JobView>(await submit({ type: 'detect', detectorId, datasetId }), 202);
    const finished = await waitForJob(stack, token, later.id);
    expect(finished.state).toBe('succeeded');
    const after = await json<JobView>(
      await call(stack.detector, `/api/v1/jobs/${queued.id}`, token),
      200,
    );
    expect(after).toMatchObject({ state: 'cancelled', attempts: 0, progress: { rows: 0 } });

    const conflict = await problem(
      await call(stack.detector, `/api/v1/jobs/${later.id}/cancel`, token, { method: 'POST' }),
      409,
    );
    expect(conflict.detail).toContain('succeeded');
  });
});

describe('validation, roles and tenancy', () => {
  it('refuses bad submissions with the right status and writes nothing', async () => {
    const before = await stack.count('jobs');
    const cases: Array<[string, Promise<Response>, number]> = [
      ['unknown type', submit({ type: 'explain', detectorId, datasetId }), 400],
      ['unknown field', submit({ type: 'detect', detectorId, datasetId, tenantId: 'x' }), 400],
      ['seed on detect', submit({ type: 'detect', detectorId, datasetId, seed: 1 }), 400],
      ['not a uuid', submit({ type: 'detect', detectorId: 'abc', datasetId }), 400],
      [
        'missing detector',
        submit({ type: 'detect', detectorId: crypto.randomUUID(), datasetId }),
        404,
      ],
      [
        'missing dataset',
        submit({ type: 'train', detectorId, datasetId: crypto.randomUUID() }),
        404,
      ],
      ['viewer', submit({ type: 'detect', detectorId, datasetId }, {}, viewerToken), 403],
      [
        'bad Idempotency-Key',
        submit({ type: 'detect', detectorId, datasetId }, { 'Idempotency-Key': 'a,b' }),
        400,
      ],
      [
        "another tenant's detector",
        submit({ type: 'detect', detectorId, datasetId }, {}, otherToken),
        404,
      ],
    ];
    for (const [name, pending, status] of cases) {
      const body = await problem(await pending, status);
      expect(body.detail, name).not.toBe('');
    }
    expect(await stack.count('jobs')).toBe(before);
  });

  it("keeps jobs to their tenant: another tenant's job is 404 everywhere, lists page by cursor", async () => {
    const page = await json<{ items: JobView[]; nextCursor?: string }>(
      await call(stack.detector, '/api/v1/jobs?type=detect&limit=1', viewerToken),
      200,
    );
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBeDefined();
    const next = await json<{ items: JobView[] }>(
      await call(
        stack.detector,
        `/api/v1/jobs?type=detect&limit=1&cursor=${page.nextCursor}`,
        viewerToken,
      ),
      200,
    );
    expect(next.items[0]?.id).not.toBe(page.items[0]?.id);
    const id = page.items[0]?.id as string;
    for (const [method, path] of [
      ['GET', `/api/v1/jobs/${id}`],
      ['GET', `/api/v1/jobs/${id}/results`],
      ['POST', `/api/v1/jobs/${id}/cancel`],
    ] as const) {
      await problem(await call(stack.detector, path, otherToken, { method }), 404);
    }
    const theirs = await json<{ items: JobView[] }>(
      await call(stack.detector, '/api/v1/jobs', otherToken),
      200,
    );
    expect(theirs.items).toEqual([]);
    await problem(await call(stack.detector, '/api/v1/jobs?state=lost', viewerToken), 400);
    await problem(
      await call(stack.detector, `/api/v1/jobs/${id}/results?cursor=nonsense`, viewerToken),
      400,
    );
  });
});
