/**
 * `POST /api/v1/results/edge` and `GET /api/v1/results/edge` on the real detector-service (with
 * auth, dataset and model services as processes): idempotent batches, every id held answered,
 * bounds, validation naming fields, tenancy (another tenant's detector answers like a missing
 * one), and reading the results back page by page.
 */
import { randomUUID } from 'node:crypto';
import { sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from '../../test/stack.js';

let stack: Stack;
let analyst: string;
let viewer: string;
let otherAnalyst: string;
let detectorId: string;
let modelId: string;
let otherDetectorId: string;

const MAX_ROWS = 100;

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function problem(response: Response, status: number) {
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  return json<{ code: string; detail: string; errors?: Array<{ field: string; message: string }> }>(
    response,
    status,
  );
}

/** A trained detector of the token's tenant: its id and its model's id. */
async function trainedDetector(token: string): Promise<{ detectorId: string; modelId: string }> {
  const csv = ['a,b', ...Array.from({ length: 200 }, (_, i) => `${i % 17},${(i * 7) % 23}`)].join(
    '\n',
  );
  const dataset = await json<{ id: string }>(
    await call(stack.dataset, '/api/v1/datasets?name=edge', token, {
      method: 'POST',
      body: csv,
      contentType: 'text/csv',
    }),
    201,
  );
  const detector = await json<{ id: string }>(
    await call(stack.detector, '/api/v1/detectors', token, {
      method: 'POST',
      json: { name: 'edge', algorithm: 'hbos', parameters: {} },
    }),
    201,
  );
  const trained = await json<{ modelVersion: { modelId: string } }>(
    await call(stack.detector, `/api/v1/detectors/${detector.id}/train`, token, {
      method: 'POST',
      json: { datasetId: dataset.id },
    }),
    200,
  );
  return { detectorId: detector.id, modelId: trained.modelVersion.modelId };
}

function result(overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    detectorId,
    modelId,
    modelVersion: 1,
    scoredAt: '2026-11-27T10:00:00.123Z',
    scores: [0.25, 0.75, 1.5],
    labels: [0, 0, 1],
    threshold: 1.2,
    ...overrides,
  };
}

function upload(token: string, body: unknown) {
  return call(stack.detector, '/api/v1/results/edge', token, { method: 'POST', json: body });
}

async function stored(): Promise<number> {
  const rows = await sql<{ n: string }>(
    stack.database.url,
    'SELECT count(*) AS n FROM detector.edge_results',
  );
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  stack = await startStack({ MAX_DETECTION_BATCH_SIZE: String(MAX_ROWS) });
  analyst = (await stack.auth.tokenFor('acme', ['analyst'])).token;
  viewer = (await stack.auth.tokenFor('acme', ['viewer'])).token;
  otherAnalyst = (await stack.auth.tokenFor('globex', ['analyst'])).token;
  ({ detectorId, modelId } = await trainedDetector(analyst));
  otherDetectorId = (await trainedDetector(otherAnalyst)).detectorId;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('POST /api/v1/results/edge', () => {
  it('stores a batch, then answers a re-sent one as duplicates and stores nothing twice', async () => {
    const batch = [result(), result(), result()];
    const first = await json<{ accepted: string[]; duplicates: string[] }>(
      await upload(analyst, { agentId: 'store-7', results: batch }),
      200,
    );
    expect(first).toEqual({ accepted: batch.map((r) => r.id), duplicates: [] });
    const before = await stored();

    // The acknowledgement was lost: the agent sends the batch again with one new result.
    const extra = result();
    const again = await json<{ accepted: string[]; duplicates: string[] }>(
      await upload(analyst, { agentId: 'store-7', results: [...batch, extra, extra] }),
      200,
    );
    expect(again).toEqual({
      accepted: [extra.id],
      duplicates: [...batch.map((r) => r.id), extra.id],
    });
    expect(await stored()).toBe(before + 1);
  });

  it('needs the analyst role to upload; viewers read', async () => {
    const refused = await problem(await upload(viewer, { agentId: 'a', results: [result()] }), 403);
    expect(refused.code).toBe('FORBIDDEN');
    await json(await call(stack.detector, '/api/v1/results/edge', viewer), 200);
  });

  it('answers another tenant’s detector exactly like a missing one (422), storing nothing', async () => {
    const before = await stored();
    const foreign = await problem(
      await upload(analyst, {
        agentId: 'a',
        results: [result(), result({ detectorId: otherDetectorId })],
      }),
      422,
    );
    const missingId = randomUUID();
    const missing = await problem(
      await upload(analyst, {
        agentId: 'a',
        results: [result(), result({ detectorId: missingId })],
      }),
      422,
    );
    expect(foreign.code).toBe('VALIDATION_FAILED');
    expect(foreign.errors).toEqual([
      { field: 'results[1].detectorId', message: `no detector with id ${otherDetectorId}` },
    ]);
    expect(missing.errors).toEqual([
      { field: 'results[1].detectorId', message: `no detector with id ${missingId}` },
    ]);
    const mismatch = await problem(
      await upload(analyst, { agentId: 'a', results: [result({ modelId: randomUUID() })] }),
      422,
    );
    expect(mismatch.errors?.[0]?.field).toBe('results[0].modelId');
    expect(await stored()).toBe(before);
  });

  it('names every malformed field (400) and stores nothing', async () => {
    const before = await stored();
    const bad = await problem(
      await upload(analyst, {
        agentId: 'bad agent id',
        results: [
          result({ id: 'nope', labels: [0, 1] }),
          result({ scores: [1, 'x', 3], scoredAt: 'yesterday', modelVersion: 0 }),
        ],
      }),
      400,
    );
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.errors?.map((e) => e.field)).toEqual([
      'agentId',
      'results[0].id',
      'results[0].labels',
      'results[1].modelVersion',
      'results[1].scoredAt',
      'results[1].scores[1]',
    ]);
    await problem(await upload(analyst, { agentId: 'a', results: [] }), 400);
    await problem(await upload(analyst, { agentId: 'a', results: [result()], extra: 1 }), 400);
    expect(await stored()).toBe(before);
  });

  it('bounds a batch by results and by MAX_DETECTION_BATCH_SIZE rows in all (413)', async () => {
    const tooMany = await problem(
      await upload(analyst, {
        agentId: 'a',
        results: Array.from({ length: 1_001 }, () => result({ scores: [1], labels: [0] })),
      }),
      413,
    );
    expect(tooMany.detail).toMatch(/At most 1000 results per upload; got 1001/);
    const rows = Array.from({ length: 60 }, () => 0.5);
    const tooLarge = await problem(
      await upload(analyst, {
        agentId: 'a',
        results: [
          result({ scores: rows, labels: rows.map(() => 0) }),
          result({ scores: rows, labels: rows.map(() => 0) }),
        ],
      }),
      413,
    );
    expect(tooLarge.detail).toMatch(
      /At most 100 rows per upload in all \(MAX_DETECTION_BATCH_SIZE\); got 120/,
    );
  });
});

describe('GET /api/v1/results/edge', () => {
  it('reads an agent’s results back page by page, exactly as uploaded, tenant-scoped', async () => {
    const batch = Array.from({ length: 7 }, (_, i) =>
      result({ scores: [i / 10, 1 / 3, 1e-7], labels: [0, 0, 1], threshold: 0.5 }),
    );
    await json(await upload(analyst, { agentId: 'reader', results: batch }), 200);
    const seen: Array<{ id: string; scores: number[]; labels: number[]; scoredAt: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await json<{ items: typeof seen; nextCursor?: string }>(
        await call(
          stack.detector,
          `/api/v1/results/edge?agentId=reader&limit=3${cursor === undefined ? '' : `&cursor=${cursor}`}`,
          viewer,
        ),
        200,
      );
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen.map((r) => r.id).sort()).toEqual(batch.map((r) => r.id).sort());
    for (const item of seen) {
      const sent = batch.find((r) => r.id === item.id);
      expect(item.scores).toEqual(sent?.scores);
      expect(item.labels).toEqual(sent?.labels);
      expect(item.scoredAt).toBe('2026-11-27T10:00:00.123Z');
    }
    const other = await json<{ items: unknown[] }>(
      await call(stack.detector, '/api/v1/results/edge?agentId=reader', otherAnalyst),
      200,
    );
    expect(other.items).toEqual([]);
    await problem(await call(stack.detector, '/api/v1/results/edge?agentId=a%20b', viewer), 400);
  });
});
