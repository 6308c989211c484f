/**
 * The public REST surface of every service, called through the gateway exactly as a user calls
 * it: the core flow of ARCHITECTURE.md (token → upload → dataset reads → algorithm catalogue →
 * detector → training job → detection as JSON and protobuf → stored results → model registry),
 * the auth routes, deletes, cursor pagination, problem+json errors, and what the gateway adds
 * (a request id; the caller's trace carried through). The operator routes (health, status,
 * metrics, OpenAPI) are not on the ingress: they are read on each service's own port, as the
 * kubelet and Prometheus do.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { detectorV1 } from '@nomaly/proto';
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectProblem,
  expectStatus,
  generateDataset,
  readAllPages,
  type Page,
} from '../support/api.js';
import { startStack, type ServiceName, type Stack, type Tenant } from '../support/stack.js';

/** Above this many rows a training becomes a job (202), so the flow takes both paths. */
const SYNC_TRAIN_MAX_ROWS = '1000';
const data = generateDataset(20_240_601, 1_500);
const small = generateDataset(7, 400);

let stack: Stack;
let acme: Tenant;
let globex: Tenant;

interface DatasetDto {
  id: string;
  name: string;
  version: number;
  rows: number;
  columnCount: number;
  labelColumn?: string;
  checksum: string;
  format: string;
  columns: Array<{
    name: string;
    type: string;
    role: string;
    count: number;
    mean: number | null;
    min: number | null;
    max: number | null;
  }>;
  quality: object;
}

interface DetectorDto {
  id: string;
  name: string;
  algorithm: string;
  parameters: Record<string, unknown>;
  features: string[] | null;
  modelId: string | null;
  latestVersion: number | null;
}

interface TrainingResult {
  modelVersion: { id: string; modelId: string; version: number; sha256: string };
  rows: number;
  features: string[];
  threshold: number;
  metrics?: { rocAuc: number; averagePrecision: number };
}

interface JobDto {
  id: string;
  type: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  detectorId: string;
  datasetId: string;
  progress: { rows: number; totalRows: number };
  result?: TrainingResult;
  error?: { code: string; detail: string };
}

interface DetectResponse {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { id: string; modelId: string; version: number };
  features: string[];
  explanations?: number[][];
  saved?: number;
}

interface ModelDto {
  id: string;
  name: string;
  algorithm: string;
  detectorId: string | null;
  latestVersion: number;
  champion: number | null;
  challenger: number | null;
}

interface VersionDto {
  modelId: string;
  version: number;
  algorithm: string;
  format: string;
  sha256: string;
  sizeBytes: number;
  lineage: { datasetId: string | null; detectorId: string | null };
  aliases: string[];
  stage: string;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

beforeAll(async () => {
  const detectorEnv = { SYNC_TRAIN_MAX_ROWS };
  stack = await startStack({
    env: { 'detector-service': detectorEnv, 'detector-canary': detectorEnv },
    worker: true,
  });
  acme = await stack.tenant('acme');
  globex = await stack.tenant('globex');
});

afterAll(async () => {
  await stack?.stop();
});

describe('the gateway', () => {
  it('gives every request an id the service logs, and carries the caller’s trace through', async () => {
    const traceId = hex(16);
    const response = await stack.call('/api/v1/auth/me', {
      token: acme.token,
      headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    const other = await stack.call('/api/v1/auth/me', { token: acme.token });
    expect(other.headers.get('x-request-id')).not.toBe(requestId);

    // The service saw the gateway's id (it logs the request under it) and the caller's trace.
    const auth = stack.services['auth-service'];
    await eventually(async () => {
      const lines = auth.logs.filter((line) => line.reqId === requestId);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.trace_id).toBe(traceId);
      return Promise.resolve();
    }, 10_000);
  });

  it('answers 404 for a path no route matches, and a service’s 404 as problem+json', async () => {
    const unrouted = await stack.call('/api/v2/nothing-here', { token: acme.token });
    expect(unrouted.status).toBe(404);
    const unknownRoute = await stack.call(`/api/v1/detectors/${randomUUID()}/nonsense`, {
      token: acme.token,
    });
    expectProblem(unknownRoute, 404, 'NOT_FOUND');
  });
});

describe('the core flow through the gateway', () => {
  let token: string;
  let datasetId: string;
  let smallId: string;
  let detectorId: string;
  let trained: TrainingResult;
  let modelId: string;
  let detectedScores: number[];
  let artifactDocument: Record<string, unknown>;

  it('exchanges an API key for an access token that says who it speaks for', async () => {
    const exchanged = expectStatus<{ accessToken: string; tokenType: string; expiresIn: number }>(
      await stack.call('/api/v1/auth/token', { json: { apiKey: acme.apiKey } }),
      200,
    );
    expect(exchanged.tokenType).toBe('Bearer');
    expect(exchanged.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(exchanged.expiresIn).toBeGreaterThan(0);
    token = exchanged.accessToken;

    const me = expectStatus<Record<string, unknown>>(
      await stack.call('/api/v1/auth/me', { token }),
      200,
    );
    expect(me).toMatchObject({ tenantId: acme.tenantId, roles: ['admin'], kind: 'api-key' });

    const jwks = expectStatus<{ keys: Array<Record<string, unknown>> }>(
      await stack.call('/api/v1/auth/jwks.json'),
      200,
    );
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');

    expectProblem(
      await stack.call('/api/v1/auth/token', { json: { apiKey: `nmly_${'a'.repeat(40)}` } }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await stack.call('/api/v1/datasets'), 401, 'UNAUTHENTICATED');
  });

  it('uploads a generated CSV dataset, and another as a multipart file', async () => {
    const uploaded = expectStatus<DatasetDto>(
      await stack.call('/api/v1/datasets?name=sensors', {
        token,
        body: data.csv,
        headers: { 'Content-Type': 'text/csv' },
      }),
      201,
    );
    expect(uploaded).toMatchObject({
      name: 'sensors',
      version: 1,
      rows: data.rows.length,
      columnCount: data.features.length + 1,
      labelColumn: 'label',
      format: 'csv',
    });
    expect(uploaded.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(uploaded.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(uploaded.columns.map((c) => [c.name, c.type, c.role])).toEqual([
      ...data.features.map((name) => [name, 'numeric', 'feature']),
      ['label', 'numeric', 'label'],
    ]);
    datasetId = uploaded.id;

    const form = new FormData();
    form.append('file', new Blob([small.csv], { type: 'text/csv' }), 'small.csv');
    const multipart = expectStatus<DatasetDto>(
      await stack.call('/api/v1/datasets?name=sensors-small', { token, body: form }),
      201,
    );
    expect(multipart).toMatchObject({ name: 'sensors-small', rows: small.rows.length });
    smallId = multipart.id;
  });

  it('lists datasets by cursor, and shows one with its statistics, sample and quality', async () => {
    const listed = await readAllPages<DatasetDto>(
      (query) => stack.call(`/api/v1/datasets?${query}`, { token }),
      1,
    );
    expect(listed.items.map((d) => d.id)).toEqual([datasetId, smallId]);
    expect(listed.pages).toBe(2);
    // `limit` is clamped to the documented maximum, never refused; a word is refused.
    expect(
      expectStatus<Page<DatasetDto>>(
        await stack.call('/api/v1/datasets?limit=100000', { token }),
        200,
      ).items,
    ).toHaveLength(2);
    expectProblem(
      await stack.call('/api/v1/datasets?limit=ten', { token }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await stack.call('/api/v1/datasets?cursor=not-a-cursor', { token }),
      400,
      'VALIDATION_FAILED',
    );
    expect(
      expectStatus<Page<DatasetDto>>(
        await stack.call('/api/v1/datasets', { token: globex.token }),
        200,
      ).items,
    ).toEqual([]);

    const shown = expectStatus<DatasetDto>(
      await stack.call(`/api/v1/datasets/${datasetId}`, { token }),
      200,
    );
    const f0 = data.rows.map((row) => row[0] ?? Number.NaN);
    expect(shown.columns[0]).toMatchObject({
      name: 'f0',
      count: data.rows.length,
      min: Math.min(...f0),
      max: Math.max(...f0),
    });
    expect(shown.columns[0]?.mean).toBeCloseTo(f0.reduce((a, b) => a + b, 0) / f0.length, 9);
    expect(shown.quality).toEqual(expect.any(Object));

    const sample = expectStatus<{ id: string; columns: string[]; rows: number[][] }>(
      await stack.call(`/api/v1/datasets/${datasetId}/sample?rows=5`, { token }),
      200,
    );
    expect(sample).toEqual({
      id: datasetId,
      columns: [...data.features, 'label'],
      rows: data.rows.slice(0, 5).map((row, i) => [...row, data.labels[i]]),
    });

    const quality = expectStatus<{ id: string; rows: number; quality: object; columns: unknown[] }>(
      await stack.call(`/api/v1/datasets/${datasetId}/quality`, { token }),
      200,
    );
    expect(quality).toMatchObject({ id: datasetId, rows: data.rows.length });
    expect(quality.columns).toHaveLength(data.features.length + 1);
    expect(quality.columns[0]).toMatchObject({ name: 'f0', type: 'numeric', missing: 0 });
  });

  it('lists the algorithm catalogue with each algorithm’s parameter schema', async () => {
    const algorithms = expectStatus<
      Array<{ name: string; explainable: boolean; parameters: Record<string, unknown> }>
    >(await stack.call('/api/v1/detectors/algorithms', { token }), 200);
    expect(algorithms.map((a) => a.name)).toEqual(
      expect.arrayContaining(['iforest', 'lof', 'ecod', 'hbos']),
    );
    const forest = algorithms.find((a) => a.name === 'iforest');
    expect(forest).toMatchObject({
      explainable: true,
      parameters: {
        type: 'object',
        properties: expect.objectContaining({
          contamination: expect.any(Object) as unknown,
        }) as unknown,
      },
    });
  });

  it('creates a detector, shows it and lists it; refuses an unknown algorithm', async () => {
    const created = expectStatus<DetectorDto>(
      await stack.call('/api/v1/detectors', {
        token,
        json: {
          name: 'sensor forest',
          algorithm: 'iforest',
          parameters: { nEstimators: 60 },
          contamination: 0.05,
        },
      }),
      201,
    );
    expect(created).toMatchObject({
      name: 'sensor forest',
      algorithm: 'iforest',
      parameters: { nEstimators: 60, contamination: 0.05 },
      features: null,
      modelId: null,
      latestVersion: null,
    });
    detectorId = created.id;
    expect(
      expectStatus<DetectorDto>(
        await stack.call(`/api/v1/detectors/${detectorId}`, { token }),
        200,
      ),
    ).toEqual(created);
    const listed = await readAllPages<DetectorDto>(
      (query) => stack.call(`/api/v1/detectors?${query}`, { token }),
      10,
    );
    expect(listed.items.map((d) => d.id)).toEqual([detectorId]);
    expectProblem(
      await stack.call('/api/v1/detectors', {
        token,
        json: { name: 'x', algorithm: 'deep-magic' },
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('trains on the large dataset as a job, followed at /api/v1/jobs/{id} to its end', async () => {
    const response = await stack.call(`/api/v1/detectors/${detectorId}/train`, {
      token,
      json: { datasetId, seed: 7 },
    });
    const job = expectStatus<JobDto & { jobId: string }>(response, 202);
    expect(job).toMatchObject({
      type: 'train',
      detectorId,
      datasetId,
      progress: { totalRows: data.rows.length },
    });
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${job.jobId}`);

    const done = await eventually(async () => {
      const current = expectStatus<JobDto>(
        await stack.call(`/api/v1/jobs/${job.jobId}`, { token }),
        200,
      );
      expect(['succeeded', 'failed', 'cancelled']).toContain(current.state);
      return current;
    }, 60_000);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({
      id: job.jobId,
      state: 'succeeded',
      progress: { rows: data.rows.length, totalRows: data.rows.length },
    });
    trained = done.result as TrainingResult;
    expect(trained).toMatchObject({
      rows: data.rows.length,
      features: data.features,
      modelVersion: { version: 1 },
    });
    // The planted anomalies lie far outside the Gaussian rows: the labels find them.
    expect(trained.metrics?.rocAuc).toBeGreaterThan(0.95);
    modelId = trained.modelVersion.modelId;

    expectProblem(
      await stack.call(`/api/v1/jobs/${job.jobId}`, { token: globex.token }),
      404,
      'NOT_FOUND',
    );
  });

  it('detects rows and records alike, explaining each score per feature', async () => {
    const batch = data.rows.slice(0, 100);
    const byRows = expectStatus<DetectResponse>(
      await stack.call(`/api/v1/detectors/${detectorId}/detect`, {
        token,
        json: { rows: batch, explain: true },
      }),
      200,
    );
    expect(byRows.scores).toHaveLength(100);
    expect(byRows.threshold).toBe(trained.threshold);
    expect(byRows.modelVersion).toMatchObject({ modelId, version: 1 });
    expect(byRows.features).toEqual(data.features);
    expect(byRows.labels).toEqual(byRows.scores.map((s) => (s > byRows.threshold ? 1 : 0)));
    // Rows 49 and 99 are the planted anomalies of this batch.
    expect([byRows.labels[49], byRows.labels[99]]).toEqual([1, 1]);
    expect(byRows.labels.filter((label) => label === 1).length).toBeLessThan(20);
    expect(byRows.explanations).toHaveLength(100);
    for (const row of byRows.explanations ?? []) expect(row).toHaveLength(data.features.length);

    const records = batch.map((row) =>
      Object.fromEntries(data.features.map((name, j) => [name, row[j]])),
    );
    const byRecords = expectStatus<DetectResponse>(
      await stack.call(`/api/v1/detectors/${detectorId}/detect`, {
        token,
        json: { records },
      }),
      200,
    );
    expect(byRecords.scores).toEqual(byRows.scores);
    expect(byRecords.explanations).toBeUndefined();
    detectedScores = byRows.scores;

    expectProblem(
      await stack.call(`/api/v1/detectors/${detectorId}/detect`, {
        token,
        json: { rows: [[1, 2, 3]] },
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('detects the binary form (protobuf DetectRequest → DetectResponse) with the same scores', async () => {
    const values = data.rows.slice(0, 100).flat();
    const response = await fetch(`${stack.gatewayUrl}/api/v1/detectors/${detectorId}/detect`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/x-protobuf',
        Accept: 'application/x-protobuf',
      },
      body: detectorV1.DetectRequest.encode({
        featureCount: data.features.length,
        values,
        explain: true,
      }).finish(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const decoded = detectorV1.DetectResponse.decode(new Uint8Array(await response.arrayBuffer()));
    expect(decoded.scores).toEqual(detectedScores);
    expect(decoded).toMatchObject({
      modelId,
      modelVersion: 1,
      threshold: trained.threshold,
      features: data.features,
    });
    expect(decoded.explanations).toHaveLength(100 * data.features.length);
  });

  it('stores results on request and pages through them by cursor', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const rows = data.rows.slice(0, 250);
    const saved = expectStatus<DetectResponse>(
      await stack.call(`/api/v1/detectors/${detectorId}/detect?save=true`, {
        token,
        json: { rows },
      }),
      200,
    );
    expect(saved.saved).toBe(250);

    const listed = await readAllPages<{ rowIndex: number; score: number; detectorId: string }>(
      (query) => stack.call(`/api/v1/results?detectorId=${detectorId}&${query}`, { token }),
      100,
    );
    expect(listed.pages).toBe(3);
    const stored: number[] = [];
    for (const item of listed.items) {
      expect(item).toMatchObject({ detectorId, modelId, modelVersion: 1 });
      stored[item.rowIndex] = item.score;
    }
    expect(stored).toEqual(saved.scores);

    const clamped = expectStatus<Page<unknown>>(
      await stack.call(`/api/v1/results?limit=5000`, { token }),
      200,
    );
    expect(clamped.items).toHaveLength(200);
    expect(clamped.nextCursor).toEqual(expect.any(String));
    const bySince = expectStatus<Page<unknown>>(
      await stack.call(`/api/v1/results/since/${since}?limit=200`, { token }),
      200,
    );
    expect(bySince.items).toEqual(clamped.items);
    expectProblem(
      await stack.call('/api/v1/results/since/yesterday', { token }),
      400,
      'VALIDATION_FAILED',
    );
    expect(
      expectStatus<Page<unknown>>(await stack.call('/api/v1/results', { token: globex.token }), 200)
        .items,
    ).toEqual([]);
  });

  it('registers every training as a model version, with its artifact', async () => {
    const models = await readAllPages<ModelDto>(
      (query) => stack.call(`/api/v1/models?${query}`, { token }),
      10,
    );
    expect(models.items).toEqual([
      expect.objectContaining({
        id: modelId,
        name: `detector-${detectorId}`,
        algorithm: 'iforest',
        detectorId,
        latestVersion: 1,
        champion: null,
      }),
    ]);
    expect(
      expectStatus<ModelDto>(await stack.call(`/api/v1/models/${modelId}`, { token }), 200),
    ).toEqual(models.items[0]);

    const version = expectStatus<VersionDto>(
      await stack.call(`/api/v1/models/${modelId}/versions/1`, { token }),
      200,
    );
    expect(version).toMatchObject({
      modelId,
      version: 1,
      algorithm: 'iforest',
      format: 'nomaly.detector',
      sha256: trained.modelVersion.sha256,
      lineage: { datasetId, detectorId },
    });

    const artifactUrl = `${stack.gatewayUrl}/api/v1/models/${modelId}/versions/1/artifact`;
    const artifact = await fetch(artifactUrl, { headers: { Authorization: `Bearer ${token}` } });
    expect(artifact.status).toBe(200);
    const bytes = Buffer.from(await artifact.arrayBuffer());
    expect(bytes).toHaveLength(version.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(version.sha256);
    expect(artifact.headers.get('etag')).toBe(`"${version.sha256}"`);
    artifactDocument = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    expect(artifactDocument).toMatchObject({ format: 'nomaly.detector' });
    const unchanged = await stack.call(`/api/v1/models/${modelId}/versions/1/artifact`, {
      token,
      headers: { 'If-None-Match': `"${version.sha256}"` },
    });
    expect(unchanged.status).toBe(304);

    // The small dataset trains within the request (200) and becomes version 2.
    const second = expectStatus<TrainingResult>(
      await stack.call(`/api/v1/detectors/${detectorId}/train`, {
        token,
        json: { datasetId: smallId, seed: 7 },
      }),
      200,
    );
    expect(second).toMatchObject({
      rows: small.rows.length,
      modelVersion: { modelId, version: 2 },
    });
    const versions = await readAllPages<VersionDto>(
      (query) => stack.call(`/api/v1/models/${modelId}/versions?${query}`, { token }),
      1,
    );
    expect(versions.items.map((v) => [v.version, v.sha256])).toEqual([
      [1, trained.modelVersion.sha256],
      [2, second.modelVersion.sha256],
    ]);
    expect(versions.pages).toBe(2);
  });

  it('promotes versions to champion, rolls back, and tells edge nodes what to run', async () => {
    const promote = async (version: number, alias: string) =>
      expectStatus<ModelDto>(
        await stack.call(`/api/v1/models/${modelId}/promote`, {
          token,
          json: { version, alias },
        }),
        200,
      );
    expect(await promote(1, 'champion')).toMatchObject({ champion: 1, challenger: null });
    expect(await promote(2, 'challenger')).toMatchObject({ champion: 1, challenger: 2 });
    expect(await promote(2, 'champion')).toMatchObject({ champion: 2, challenger: null });

    const rolledBack = expectStatus<ModelDto>(
      await stack.call(`/api/v1/models/${modelId}/rollback`, { token, json: {} }),
      200,
    );
    expect(rolledBack.champion).toBe(1);
    expectProblem(
      await stack.call(`/api/v1/models/${modelId}/rollback`, { token, json: {} }),
      409,
      'CONFLICT',
    );

    const champion = expectStatus<Record<string, unknown>>(
      await stack.call(`/api/v1/models/${modelId}/aliases/champion`, { token }),
      200,
    );
    expect(champion).toMatchObject({
      modelId,
      alias: 'champion',
      version: 1,
      sha256: trained.modelVersion.sha256,
    });
    expectProblem(
      await stack.call(`/api/v1/models/${modelId}/aliases/challenger`, { token }),
      404,
      'NOT_FOUND',
    );

    const edge = expectStatus<{ items: unknown[] }>(
      await stack.call('/api/v1/models/edge', { token }),
      200,
    );
    expect(edge.items).toEqual([
      expect.objectContaining({
        modelId,
        version: 1,
        sha256: trained.modelVersion.sha256,
        algorithm: 'iforest',
      }),
    ]);
    expect(
      expectStatus<{ items: unknown[] }>(
        await stack.call('/api/v1/models/edge', { token: globex.token }),
        200,
      ).items,
    ).toEqual([]);
  });

  it('registers a model by hand and publishes a model document to it as a version', async () => {
    const model = expectStatus<ModelDto>(
      await stack.call('/api/v1/models', {
        token,
        json: { name: 'imported forest', algorithm: 'iforest' },
      }),
      201,
    );
    expect(model).toMatchObject({
      name: 'imported forest',
      algorithm: 'iforest',
      detectorId: null,
      latestVersion: 0,
      champion: null,
    });
    const published = expectStatus<VersionDto>(
      await stack.call(`/api/v1/models/${model.id}/versions`, {
        token,
        json: {
          document: artifactDocument,
          trainingDurationMs: 5,
          lineage: { datasetId, codeVersion: 'e2e' },
        },
      }),
      201,
    );
    expect(published).toMatchObject({
      modelId: model.id,
      version: 1,
      algorithm: 'iforest',
      format: 'nomaly.detector',
      lineage: { datasetId, detectorId: null },
      stage: 'none',
    });
    expect(published.sha256).toMatch(/^[0-9a-f]{64}$/);
    // A document that is not a model is refused, and nothing is stored.
    expectProblem(
      await stack.call(`/api/v1/models/${model.id}/versions`, {
        token,
        json: { document: { ...artifactDocument, format: 'pickle' } },
      }),
      422,
      'VALIDATION_FAILED',
    );
    const all = await readAllPages<ModelDto>(
      (query) => stack.call(`/api/v1/models?${query}`, { token }),
      1,
    );
    expect(all.items.map((m) => [m.id, m.latestVersion])).toEqual([
      [modelId, 2],
      [model.id, 1],
    ]);
  });

  it('manages API keys: a viewer key reads but may not write, and a revoked key stops working', async () => {
    const created = expectStatus<{ id: string; key: string; prefix: string; roles: string[] }>(
      await stack.call('/api/v1/auth/api-keys', {
        token,
        json: { name: 'dashboard', roles: ['viewer'] },
      }),
      201,
    );
    expect(created.key).toMatch(/^nmly_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.roles).toEqual(['viewer']);

    const keys = await readAllPages<Record<string, unknown>>(
      (query) => stack.call(`/api/v1/auth/api-keys?${query}`, { token }),
      1,
    );
    expect(keys.items).toHaveLength(2);
    expect(keys.items.map((k) => k.id)).toContain(created.id);
    for (const key of keys.items) expect(key).not.toHaveProperty('key');

    const viewer = expectStatus<{ accessToken: string }>(
      await stack.call('/api/v1/auth/token', { json: { apiKey: created.key } }),
      200,
    ).accessToken;
    expect((await stack.call(`/api/v1/datasets/${datasetId}`, { token: viewer })).status).toBe(200);
    expectProblem(
      await stack.call('/api/v1/detectors', {
        token: viewer,
        json: { name: 'x', algorithm: 'iforest' },
      }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await stack.call(`/api/v1/models/${modelId}/promote`, {
        token: viewer,
        json: { version: 2, alias: 'champion' },
      }),
      403,
      'FORBIDDEN',
    );

    const revoked = await stack.call(`/api/v1/auth/api-keys/${created.id}`, {
      token,
      method: 'DELETE',
    });
    expect(revoked.status).toBe(204);
    expectProblem(
      await stack.call('/api/v1/auth/token', { json: { apiKey: created.key } }),
      401,
      'UNAUTHENTICATED',
    );
    const after = expectStatus<Page<{ id: string; revokedAt: string | null }>>(
      await stack.call('/api/v1/auth/api-keys?limit=200', { token }),
      200,
    );
    expect(after.items.find((k) => k.id === created.id)?.revokedAt).toEqual(expect.any(String));
  });

  it('manages users: sign-in with a password, single-use refresh tokens, disabling', async () => {
    const email = 'ana@acme.example';
    const password = 'correct horse battery staple';
    const user = expectStatus<{ id: string; tenantId: string; roles: string[]; disabled: boolean }>(
      await stack.call('/api/v1/auth/users', {
        token,
        json: { email, password, roles: ['analyst'] },
      }),
      201,
    );
    expect(user).toMatchObject({
      tenantId: acme.tenantId,
      email,
      roles: ['analyst'],
      disabled: false,
    });
    const users = await readAllPages<{ id: string }>(
      (query) => stack.call(`/api/v1/auth/users?${query}`, { token }),
      10,
    );
    expect(users.items.map((u) => u.id)).toContain(user.id);

    const patched = expectStatus<{ roles: string[] }>(
      await stack.call(`/api/v1/auth/users/${user.id}`, {
        token,
        method: 'PATCH',
        json: { roles: ['viewer'] },
      }),
      200,
    );
    expect(patched.roles).toEqual(['viewer']);

    const login = expectStatus<{ accessToken: string; refreshToken: string }>(
      await stack.call('/api/v1/auth/token', { json: { email, password } }),
      200,
    );
    expect(login.refreshToken).toEqual(expect.any(String));
    expect(
      expectStatus<Record<string, unknown>>(
        await stack.call('/api/v1/auth/me', { token: login.accessToken }),
        200,
      ),
    ).toMatchObject({ subject: user.id, tenantId: acme.tenantId, roles: ['viewer'], kind: 'user' });

    const refreshed = expectStatus<{ accessToken: string; refreshToken: string }>(
      await stack.call('/api/v1/auth/refresh', { json: { refreshToken: login.refreshToken } }),
      200,
    );
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expectProblem(
      await stack.call('/api/v1/auth/refresh', { json: { refreshToken: login.refreshToken } }),
      401,
      'UNAUTHENTICATED',
    );

    expect(
      (
        await stack.call(`/api/v1/auth/users/${user.id}`, {
          token,
          method: 'PATCH',
          json: { disabled: true },
        })
      ).status,
    ).toBe(200);
    expectProblem(
      await stack.call('/api/v1/auth/token', { json: { email, password } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('answers an unknown or foreign id with 404 and a stable code, on every service', async () => {
    const missing = randomUUID();
    const cases: Array<[string, string, string | undefined]> = [
      ['GET', `/api/v1/datasets/${missing}`, undefined],
      ['GET', `/api/v1/datasets/${datasetId}`, globex.token],
      ['GET', `/api/v1/detectors/${missing}`, undefined],
      ['GET', `/api/v1/detectors/${detectorId}`, globex.token],
      ['GET', `/api/v1/jobs/${missing}`, undefined],
      ['GET', `/api/v1/models/${missing}`, undefined],
      ['GET', `/api/v1/models/${modelId}/versions/1`, globex.token],
      ['DELETE', `/api/v1/auth/api-keys/${missing}`, undefined],
    ];
    for (const [method, path, as] of cases) {
      const problem = expectProblem(
        await stack.call(path, { method, token: as ?? token }),
        404,
        'NOT_FOUND',
      );
      expect(problem.instance, `${method} ${path}`).toBe(path);
    }
    expectProblem(
      await stack.call(`/api/v1/auth/users/${missing}`, {
        token,
        method: 'PATCH',
        json: { disabled: true },
      }),
      404,
      'NOT_FOUND',
    );
  });

  it('deletes a detector and a dataset; another tenant cannot', async () => {
    for (const path of [`/api/v1/detectors/${detectorId}`, `/api/v1/datasets/${smallId}`]) {
      expectProblem(
        await stack.call(path, { method: 'DELETE', token: globex.token }),
        404,
        'NOT_FOUND',
      );
      expect((await stack.call(path, { token })).status).toBe(200);
      const deleted = await stack.call(path, { method: 'DELETE', token });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expectProblem(await stack.call(path, { token }), 404, 'NOT_FOUND');
    }
    expectProblem(
      await stack.call(`/api/v1/detectors/${detectorId}/detect`, {
        token,
        json: { rows: [data.rows[0]] },
      }),
      404,
      'NOT_FOUND',
    );
    expectProblem(
      await stack.call(`/api/v1/datasets/${smallId}/sample`, { token }),
      404,
      'NOT_FOUND',
    );
  });
});

describe('the operator routes of every service (on its own port)', () => {
  const expectedPath: Record<ServiceName, string> = {
    'auth-service': '/api/v1/auth/token',
    'dataset-service': '/api/v1/datasets',
    'model-service': '/api/v1/models',
    'detector-service': '/api/v1/detectors',
    'detector-canary': '/api/v1/detectors',
  };

  it.each(Object.keys(expectedPath) as ServiceName[])(
    '%s: health, readiness, dependency checks, status, metrics and OpenAPI',
    async (name) => {
      const base = stack.services[name].baseUrl;
      const get = async (path: string) => {
        const response = await fetch(`${base}${path}`);
        const text = await response.text();
        return { status: response.status, type: response.headers.get('content-type'), text };
      };
      const json = async (path: string): Promise<Record<string, unknown>> => {
        const response = await get(path);
        expect(response.status, `${name} ${path}: ${response.text}`).toBe(200);
        expect(response.type).toMatch(/json/);
        return JSON.parse(response.text) as Record<string, unknown>;
      };
      const service = name === 'detector-canary' ? 'detector-service' : name;
      expect(await json('/health')).toEqual({ status: 'ok', service });
      expect(await json('/ready')).toMatchObject({
        ready: true,
        checks: { database: 'up', cache: 'up' },
      });
      expect(await json('/health/db')).toMatchObject({ status: 'up', ok: true });
      expect(await json('/health/cache')).toMatchObject({ status: 'up', ok: true });
      expect(await json('/status')).toMatchObject({
        service,
        version: expect.any(String) as unknown,
        database: { ok: true },
        cache: { ok: true },
        breakers: expect.anything() as unknown,
      });
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain/);
      expect(metrics.text).toMatch(/^# TYPE http_requests_total counter$/m);
      const docs = await get('/api/docs');
      expect(docs.status).toBe(200);
      expect(docs.type).toMatch(/^text\/html/);
      const openapi = (await json('/api/docs/openapi.json')) as { paths: Record<string, unknown> };
      expect(Object.keys(openapi.paths)).toContain(expectedPath[name]);
    },
  );
});
