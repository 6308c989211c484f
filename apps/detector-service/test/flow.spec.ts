/**
 * The core flow of ARCHITECTURE.md through real services: upload a dataset, create an isolation
 * forest, train it (rows over gRPC from the dataset-service, the model saved over gRPC to the
 * model-service), detect 1,000 rows, read the stored results back — and the scores equal the
 * library's on the same data and seed. Then the bad inputs, tenancy, and the model-service going
 * down while cached models keep serving.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDetector, Matrix, Random } from '@nomaly/detection-core';
import { detectorV1 } from '@nomaly/proto';
import { json, sharedDir, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

let stack: Stack;
let token: string;
let otherToken: string;
let viewerToken: string;

/** cardio.csv from the shared data sets when present; a seeded stand-in otherwise. */
function sourceCsv(): { name: string; csv: string } {
  const shared = sharedDir();
  if (shared !== undefined) {
    return { name: 'cardio', csv: readFileSync(join(shared, 'datasets', 'cardio.csv'), 'utf8') };
  }
  console.info('flow.spec: no ../shared/datasets; using a generated stand-in for cardio.csv');
  const random = new Random(11);
  const lines = ['f0,f1,f2,f3,f4,f5,label'];
  for (let i = 0; i < 1_800; i++) {
    const anomaly = i % 50 === 0;
    const values = Array.from({ length: 6 }, () =>
      anomaly ? random.between(-8, 8) : random.normal(),
    );
    lines.push(`${values.join(',')},${anomaly ? 1 : 0}`);
  }
  return { name: 'cardio-like', csv: `${lines.join('\n')}\n` };
}

function parseCsv(csv: string): { features: string[]; rows: number[][] } {
  const [header = '', ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  const labelAt = names.indexOf('label');
  return {
    features: names.filter((_, j) => j !== labelAt),
    rows: lines.map((line) =>
      line
        .split(',')
        .filter((_, j) => j !== labelAt)
        .map(Number),
    ),
  };
}

async function problem(
  response: Response,
  status: number,
): Promise<{ code: string; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/problem\+json/);
  return json(response, status);
}

interface Trained {
  modelVersion: { modelId: string; version: number };
  rows: number;
  features: string[];
}

/**
 * Trains within the request (200): these datasets are under SYNC_TRAIN_MAX_ROWS. Larger ones
 * become durable jobs, which the worker runs (apps/worker/test/jobs.spec.ts).
 */
async function train(detectorId: string, datasetId: string, seed?: number): Promise<Trained> {
  const response = await call(stack.detector, `/api/v1/detectors/${detectorId}/train`, token, {
    method: 'POST',
    json: { datasetId, ...(seed === undefined ? {} : { seed }) },
  });
  return json<Trained>(response, 200);
}

async function count(table: string): Promise<number> {
  const rows = await sql<{ n: string }>(stack.database.url, `SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  stack = await startStack();
  token = (await stack.auth.tokenFor('acme')).token;
  viewerToken = (await stack.auth.tokenFor('acme', ['viewer'])).token;
  otherToken = (await stack.auth.tokenFor('globex')).token;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the core flow', () => {
  let datasetId: string;
  let detectorId: string;
  let source: { name: string; csv: string };

  it('uploads, trains an isolation forest, detects 1,000 rows exactly as the library does, and stores the results', async () => {
    source = sourceCsv();
    const uploaded = await json<{ id: string; rows: number }>(
      await call(stack.dataset, `/api/v1/datasets?name=${source.name}`, token, {
        method: 'POST',
        body: source.csv,
        contentType: 'text/csv',
      }),
      201,
    );
    datasetId = uploaded.id;
    const { features, rows } = parseCsv(source.csv);
    expect(uploaded.rows).toBe(rows.length);

    const algorithms = await json<Array<{ name: string; parameters: object }>>(
      await call(stack.detector, '/api/v1/detectors/algorithms', viewerToken),
      200,
    );
    expect(algorithms.map((a) => a.name)).toEqual(
      expect.arrayContaining(['iforest', 'lof', 'ecod']),
    );

    const parameters = { nEstimators: 100, contamination: 0.05 };
    detectorId = (
      await json<{ id: string }>(
        await call(stack.detector, '/api/v1/detectors', token, {
          method: 'POST',
          json: { name: 'cardio forest', algorithm: 'iforest', parameters },
        }),
        201,
      )
    ).id;

    const trained = await train(detectorId, datasetId, 7);
    expect(trained.modelVersion.version).toBe(1);
    expect(trained.features).toEqual(features);

    const batch = rows.slice(0, 1_000);
    const detected = await json<{
      scores: number[];
      labels: number[];
      threshold: number;
      saved: number;
    }>(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect?save=true`, token, {
        method: 'POST',
        json: { rows: batch },
      }),
      200,
    );
    expect(detected.scores).toHaveLength(1_000);
    expect(detected.saved).toBe(1_000);

    // The library on the same data and seed gives the same scores, bit for bit.
    const reference = createDetector('iforest', { ...parameters, seed: 7 }).fit(
      Matrix.fromRows(rows, features),
    );
    expect(detected.scores).toEqual(Array.from(reference.score(Matrix.fromRows(batch, features))));
    expect(detected.threshold).toBe(reference.threshold);

    const stored: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await json<{
        items: Array<{ score: number; rowIndex: number }>;
        nextCursor?: string;
      }>(
        await call(
          stack.detector,
          `/api/v1/results?detectorId=${detectorId}&limit=200${cursor === undefined ? '' : `&cursor=${cursor}`}`,
          viewerToken,
        ),
        200,
      );
      for (const item of page.items) stored[item.rowIndex] = item.score;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(stored).toEqual(detected.scores);
  });

  it('trains a small dataset within the request (200)', async () => {
    const { features, rows } = parseCsv(source.csv);
    const small = [features.join(','), ...rows.slice(0, 300).map((row) => row.join(','))].join(
      '\n',
    );
    const uploaded = await json<{ id: string }>(
      await call(stack.dataset, '/api/v1/datasets?name=small', token, {
        method: 'POST',
        body: small,
        contentType: 'text/csv',
      }),
      201,
    );
    const detector = await json<{ id: string }>(
      await call(stack.detector, '/api/v1/detectors', token, {
        method: 'POST',
        json: { name: 'small', algorithm: 'hbos' },
      }),
      201,
    );
    const response = await call(stack.detector, `/api/v1/detectors/${detector.id}/train`, token, {
      method: 'POST',
      json: { datasetId: uploaded.id },
    });
    const trained = await json<Trained>(response, 200);
    expect(trained.rows).toBe(300);
    expect(trained.modelVersion.version).toBe(1);
  });

  it('accepts records keyed by feature name and explains scores per feature', async () => {
    const { features, rows } = parseCsv(source.csv);
    const records = rows
      .slice(0, 3)
      .map((row) => Object.fromEntries(features.map((f, j) => [f, row[j]])));
    const byRecord = await json<{ scores: number[]; explanations: number[][] }>(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, viewerToken, {
        method: 'POST',
        json: { records, explain: true },
      }),
      200,
    );
    const byRow = await json<{ scores: number[] }>(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, viewerToken, {
        method: 'POST',
        json: { rows: rows.slice(0, 3) },
      }),
      200,
    );
    expect(byRecord.scores).toEqual(byRow.scores);
    expect(byRecord.explanations).toHaveLength(3);
    expect(byRecord.explanations[0]).toHaveLength(features.length);
  });

  it('takes and gives the binary form (protobuf), with the same scores as JSON', async () => {
    const { features, rows } = parseCsv(source.csv);
    const batch = rows.slice(0, 50);
    const body = detectorV1.DetectRequest.encode({
      featureCount: features.length,
      values: batch.flat(),
      explain: false,
    }).finish();
    const binary = await fetch(`${stack.detector.baseUrl}/api/v1/detectors/${detectorId}/detect`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${viewerToken}`,
        'Content-Type': 'application/x-protobuf',
        Accept: 'application/x-protobuf',
      },
      body,
    });
    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const decoded = detectorV1.DetectResponse.decode(new Uint8Array(await binary.arrayBuffer()));
    const viaJson = await json<{ scores: number[]; labels: number[] }>(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, viewerToken, {
        method: 'POST',
        json: { rows: batch },
      }),
      200,
    );
    expect(decoded.scores).toEqual(viaJson.scores);
    expect(decoded.labels).toEqual(viaJson.labels);
    expect(decoded.features).toEqual(features);

    // Real NaN and ±Infinity can only travel in the binary form: refused, naming row and column.
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = batch.slice(0, 2).flat();
      values[features.length + 1] = bad;
      const response = await fetch(
        `${stack.detector.baseUrl}/api/v1/detectors/${detectorId}/detect?save=true`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-protobuf' },
          body: detectorV1.DetectRequest.encode({
            featureCount: features.length,
            values,
            explain: false,
          }).finish(),
        },
      );
      expect((await problem(response, 400)).detail).toContain(`Row 1, column '${features[1]}'`);
    }

    const ragged = detectorV1.DetectRequest.encode({
      featureCount: 3,
      values: [1, 2, 3, 4],
      explain: false,
    }).finish();
    for (const bad of [ragged, new Uint8Array([0xff, 0xff, 0xff])]) {
      const response = await fetch(
        `${stack.detector.baseUrl}/api/v1/detectors/${detectorId}/detect`,
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${viewerToken}`,
            'Content-Type': 'application/x-protobuf',
          },
          body: bad,
        },
      );
      await problem(response, 400);
    }
  });

  it('refuses to train on a non-numeric feature column (422), naming it', async () => {
    const uploaded = await json<{ id: string }>(
      await call(stack.dataset, '/api/v1/datasets?name=mixed', token, {
        method: 'POST',
        body: 'amount,country\n1.5,FR\n2.5,DE\n3.5,FR\n',
        contentType: 'text/csv',
      }),
      201,
    );
    const created = await json<{ id: string }>(
      await call(stack.detector, '/api/v1/detectors', token, {
        method: 'POST',
        json: { name: 'mixed', algorithm: 'hbos', features: ['amount', 'country'] },
      }),
      201,
    );
    const refused = await problem(
      await call(stack.detector, `/api/v1/detectors/${created.id}/train`, token, {
        method: 'POST',
        json: { datasetId: uploaded.id },
      }),
      422,
    );
    expect(refused.detail).toContain("'country'");
  });

  it('answers each bad input with the right status and stores nothing', async () => {
    const { features } = parseCsv(source.csv);
    const before = await count('detector.detection_results');
    const detectors = await count('detector.detectors');
    const cases: Array<[string, Promise<Response>, number]> = [
      [
        'unknown algorithm',
        call(stack.detector, '/api/v1/detectors', token, {
          method: 'POST',
          json: { name: 'x', algorithm: 'deep-magic' },
        }),
        400,
      ],
      [
        'invalid parameter',
        call(stack.detector, '/api/v1/detectors', token, {
          method: 'POST',
          json: { name: 'x', algorithm: 'iforest', parameters: { nEstimators: -3 } },
        }),
        400,
      ],
      [
        'unknown field',
        call(stack.detector, '/api/v1/detectors', token, {
          method: 'POST',
          json: { name: 'x', algorithm: 'iforest', tenantId: 'someone-else' },
        }),
        400,
      ],
      [
        'wrong feature count',
        call(stack.detector, `/api/v1/detectors/${detectorId}/detect?save=true`, token, {
          method: 'POST',
          json: { rows: [[1, 2, 3]] },
        }),
        400,
      ],
      [
        'non-finite value',
        call(stack.detector, `/api/v1/detectors/${detectorId}/detect?save=true`, token, {
          method: 'POST',
          json: { rows: [features.map((_, j) => (j === 1 ? 'NaN' : 0))] },
        }),
        400,
      ],
      [
        '10,001 rows',
        call(stack.detector, `/api/v1/detectors/${detectorId}/detect?save=true`, token, {
          method: 'POST',
          json: { rows: Array.from({ length: 10_001 }, () => features.map(() => 0)) },
        }),
        413,
      ],
      [
        "another tenant's detector",
        call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, otherToken, {
          method: 'POST',
          json: { rows: [features.map(() => 0)] },
        }),
        404,
      ],
      [
        "another tenant's dataset",
        call(stack.detector, `/api/v1/detectors/${detectorId}/train`, token, {
          method: 'POST',
          json: { datasetId: crypto.randomUUID() },
        }),
        404,
      ],
    ];
    for (const [name, pending, status] of cases) {
      const body = await problem(await pending, status);
      expect(body.detail, name).not.toBe('');
    }
    const nonFinite = await problem(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, token, {
        method: 'POST',
        json: { rows: [features.map((_, j) => (j === 1 ? null : 0))] },
      }),
      400,
    );
    expect(nonFinite.detail).toContain(`Row 0, column '${features[1]}'`);
    expect(await count('detector.detection_results')).toBe(before);
    expect(await count('detector.detectors')).toBe(detectors);
  });

  it('lets a viewer detect but not store results, create or train', async () => {
    await problem(
      await call(stack.detector, `/api/v1/detectors/${detectorId}/detect?save=true`, viewerToken, {
        method: 'POST',
        json: { rows: [parseCsv(source.csv).features.map(() => 0)] },
      }),
      403,
    );
    await problem(
      await call(stack.detector, '/api/v1/detectors', viewerToken, {
        method: 'POST',
        json: { name: 'x', algorithm: 'iforest' },
      }),
      403,
    );
  });

  it('keeps serving a cached model while the model-service is down, and fails fast for others', async () => {
    const untrained = await json<{ id: string }>(
      await call(stack.detector, '/api/v1/detectors', token, {
        method: 'POST',
        json: { name: 'never loaded', algorithm: 'ecod' },
      }),
      201,
    );
    await train(untrained.id, datasetId);
    expect(await stack.model.stop()).toBe(0);
    const { features } = parseCsv(source.csv);
    const cached = await call(stack.detector, `/api/v1/detectors/${detectorId}/detect`, token, {
      method: 'POST',
      json: { rows: [features.map(() => 0)] },
    });
    expect(cached.status).toBe(200);
    const uncached = await call(stack.detector, `/api/v1/detectors/${untrained.id}/detect`, token, {
      method: 'POST',
      json: { rows: [features.map(() => 0)] },
    });
    await problem(uncached, 503);
  });
});
