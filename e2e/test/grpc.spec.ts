/**
 * The services' gRPC APIs as in-mesh clients call them: straight to each service's gRPC port
 * (the local gateway is the HTTP/1.1 ingress), a deadline on every call, the tenant in
 * `x-tenant-id` metadata. What users created through REST (via the gateway) is what gRPC
 * serves, byte for byte; errors carry the documented status codes. The detector-service serves
 * no gRPC: its `nomaly.detector.v1` messages are the binary detect body, covered by api.spec.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { authV1, datasetV1, dateFromTimestamp, modelV1 } from '@nomaly/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authClient,
  datasetClient,
  expectStatus,
  generateDataset,
  grpcFailure,
  modelClient,
  tenantMetadata,
} from '../support/api.js';
import { startStack, type Stack, type Tenant } from '../support/stack.js';

const data = generateDataset(42, 1_500, ['a', 'b', 'c']);

let stack: Stack;
let acme: Tenant;
let globex: Tenant;
let auth: ReturnType<typeof authClient>;
let datasets: ReturnType<typeof datasetClient>;
let models: ReturnType<typeof modelClient>;
let dataset: { id: string; checksum: string; createdAt: string };
let modelId: string;
let version1: { sha256: string; sizeBytes: number };

beforeAll(async () => {
  stack = await startStack();
  acme = await stack.tenant('acme');
  globex = await stack.tenant('globex');
  auth = authClient(stack.services['auth-service'].grpcAddress);
  datasets = datasetClient(stack.services['dataset-service'].grpcAddress);
  models = modelClient(stack.services['model-service'].grpcAddress);

  // Made through the public REST surface, read back below over gRPC.
  dataset = expectStatus(
    await stack.call('/api/v1/datasets?name=grpc-source', {
      token: acme.token,
      body: data.csv,
      headers: { 'Content-Type': 'text/csv' },
    }),
    201,
  );
  const detector = expectStatus<{ id: string }>(
    await stack.call('/api/v1/detectors', {
      token: acme.token,
      json: { name: 'grpc', algorithm: 'iforest', parameters: { nEstimators: 20 } },
    }),
    201,
  );
  const trained = expectStatus<{ modelVersion: { modelId: string } }>(
    await stack.call(`/api/v1/detectors/${detector.id}/train`, {
      token: acme.token,
      json: { datasetId: dataset.id, seed: 3 },
    }),
    200,
  );
  modelId = trained.modelVersion.modelId;
  version1 = expectStatus(
    await stack.call(`/api/v1/models/${modelId}/versions/1`, { token: acme.token }),
    200,
  );
  expectStatus(
    await stack.call(`/api/v1/models/${modelId}/promote`, {
      token: acme.token,
      json: { version: 1, alias: 'champion' },
    }),
    200,
  );
});

afterAll(async () => {
  auth?.close();
  datasets?.close();
  models?.close();
  await stack?.stop();
});

describe('nomaly.auth.v1.AuthService', () => {
  it('introspects the tenant’s admin key and a key made through REST, until it is revoked', async () => {
    const admin = await auth.introspectApiKey({ apiKey: acme.apiKey });
    expect(admin).toMatchObject({
      active: true,
      tenantId: acme.tenantId,
      roles: [authV1.Role.ROLE_ADMIN],
    });
    expect(admin.subject).toBe(`apikey:${admin.keyId}`);
    expect(admin.expiresAt).toBeUndefined();

    const expiresAt = new Date(Date.now() + 86_400_000);
    expiresAt.setUTCMilliseconds(0);
    const created = expectStatus<{ id: string; key: string }>(
      await stack.call('/api/v1/auth/api-keys', {
        token: acme.token,
        json: { name: 'grpc', roles: ['viewer', 'analyst'], expiresAt: expiresAt.toISOString() },
      }),
      201,
    );
    const key = await auth.introspectApiKey({ apiKey: created.key });
    expect(key).toMatchObject({ active: true, tenantId: acme.tenantId, keyId: created.id });
    expect([...key.roles].sort((a, b) => a - b)).toEqual([
      authV1.Role.ROLE_ANALYST,
      authV1.Role.ROLE_VIEWER,
    ]);
    expect(key.expiresAt && dateFromTimestamp(key.expiresAt).toISOString()).toBe(
      expiresAt.toISOString(),
    );

    const revoked = await stack.call(`/api/v1/auth/api-keys/${created.id}`, {
      token: acme.token,
      method: 'DELETE',
    });
    expect(revoked.status).toBe(204);
    expect(await auth.introspectApiKey({ apiKey: created.key })).toEqual({
      active: false,
      tenantId: '',
      keyId: '',
      roles: [],
      subject: '',
    });
  });

  it('answers an unknown or malformed key as inactive, not as an error', async () => {
    for (const apiKey of [`nmly_abcd2345_${'x'.repeat(43)}`, 'garbage']) {
      expect(await auth.introspectApiKey({ apiKey })).toEqual({
        active: false,
        tenantId: '',
        keyId: '',
        roles: [],
        subject: '',
      });
    }
  });

  it('answers INVALID_ARGUMENT for an empty key, as the contract says', async () => {
    // auth_service.proto: "Errors are reserved for the call itself: INVALID_ARGUMENT for an
    // empty key" — a caller that sends nothing has a bug, not an inactive key.
    const error = await grpcFailure(auth.introspectApiKey({ apiKey: '' }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('nomaly.dataset.v1.DatasetService', () => {
  it('describes a dataset uploaded through REST exactly as REST does', async () => {
    const described = await datasets.describeDataset(
      { datasetId: dataset.id },
      tenantMetadata(acme.tenantId),
    );
    expect(described).toMatchObject({
      datasetId: dataset.id,
      name: 'grpc-source',
      version: 1,
      rows: data.rows.length,
      labelColumn: 'label',
      checksum: dataset.checksum,
    });
    const numeric = datasetV1.ColumnType.COLUMN_TYPE_NUMERIC;
    expect(described.columns.map((c) => [c.name, c.type, c.isLabel, c.index, c.missing])).toEqual([
      ...data.features.map((name, i) => [name, numeric, false, i, 0]),
      ['label', numeric, true, data.features.length, 0],
    ]);
    expect(described.createdAt && dateFromTimestamp(described.createdAt).toISOString()).toBe(
      dataset.createdAt,
    );
  });

  it('streams the uploaded values, column-major, in chunks of the size asked for', async () => {
    const chunks = await datasets.streamRows(
      {
        datasetId: dataset.id,
        columns: ['c', 'a'],
        includeLabel: true,
        maxRowsPerChunk: 400,
        startRow: 0,
      },
      tenantMetadata(acme.tenantId),
    );
    expect(chunks.map((c) => [c.rowOffset, c.rowCount])).toEqual([
      [0, 400],
      [400, 400],
      [800, 400],
      [1_200, 300],
    ]);
    const c: number[] = [];
    const a: number[] = [];
    const labels: number[] = [];
    for (const chunk of chunks) {
      expect(chunk.columns.map((column) => column.name)).toEqual(['c', 'a']);
      c.push(...(chunk.columns[0]?.values ?? []));
      a.push(...(chunk.columns[1]?.values ?? []));
      labels.push(...chunk.label);
    }
    expect(c).toEqual(data.rows.map((row) => row[2]));
    expect(a).toEqual(data.rows.map((row) => row[0]));
    expect(labels).toEqual(data.labels);
  });

  it('answers NOT_FOUND for another tenant’s dataset exactly as for a missing one', async () => {
    const missing = randomUUID();
    const foreign = await grpcFailure(
      datasets.describeDataset({ datasetId: dataset.id }, tenantMetadata(globex.tenantId)),
    );
    const absent = await grpcFailure(
      datasets.describeDataset({ datasetId: missing }, tenantMetadata(globex.tenantId)),
    );
    expect([foreign.code, absent.code]).toEqual([status.NOT_FOUND, status.NOT_FOUND]);
    expect(foreign.details.replace(dataset.id, missing)).toBe(absent.details);
    const stream = await grpcFailure(
      datasets.streamRows(
        {
          datasetId: dataset.id,
          columns: [],
          includeLabel: false,
          maxRowsPerChunk: 0,
          startRow: 0,
        },
        tenantMetadata(globex.tenantId),
      ),
    );
    expect(stream.code).toBe(status.NOT_FOUND);
  });

  it('answers INVALID_ARGUMENT for a missing or malformed tenant and an unknown column', async () => {
    for (const metadata of [tenantMetadata(), tenantMetadata('acme')]) {
      const error = await grpcFailure(
        datasets.describeDataset({ datasetId: dataset.id }, metadata),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain('x-tenant-id');
    }
    const unknown = await grpcFailure(
      datasets.streamRows(
        {
          datasetId: dataset.id,
          columns: ['nope'],
          includeLabel: false,
          maxRowsPerChunk: 0,
          startRow: 0,
        },
        tenantMetadata(acme.tenantId),
      ),
    );
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.details).toContain('nope');
  });

  it('gives up at the caller’s deadline', async () => {
    const error = await grpcFailure(
      datasets.describeDataset({ datasetId: dataset.id }, tenantMetadata(acme.tenantId), -1),
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
  });
});

describe('nomaly.model.v1.ModelService', () => {
  let artifact: Buffer;

  it('streams a version trained through REST, byte-identical to the REST artifact', async () => {
    const messages = await models.fetchVersion(
      { modelId, version: 1 },
      tenantMetadata(acme.tenantId),
    );
    const [first, ...rest] = messages;
    expect(first?.metadata).toMatchObject({
      modelId,
      version: 1,
      sha256: version1.sha256,
      sizeBytes: version1.sizeBytes,
      algorithm: 'iforest',
    });
    expect(rest.length).toBeGreaterThan(0);
    for (const message of rest) expect(message.chunk?.length).toBeLessThanOrEqual(1024 * 1024);
    artifact = Buffer.concat(rest.map((message) => message.chunk ?? new Uint8Array()));

    const viaRest = await fetch(
      `${stack.gatewayUrl}/api/v1/models/${modelId}/versions/1/artifact`,
      { headers: { Authorization: `Bearer ${acme.token}` } },
    );
    expect(viaRest.status).toBe(200);
    expect(artifact.equals(Buffer.from(await viaRest.arrayBuffer()))).toBe(true);
    expect(createHash('sha256').update(artifact).digest('hex')).toBe(version1.sha256);
  });

  it('resolves the champion promoted through REST', async () => {
    const resolved = await models.resolveAlias(
      { modelId, alias: modelV1.Alias.ALIAS_CHAMPION },
      tenantMetadata(acme.tenantId),
    );
    expect(resolved.version).toMatchObject({ modelId, version: 1, sha256: version1.sha256 });
    expect(resolved.updatedAt?.seconds).toBeGreaterThan(0);
    const challenger = await grpcFailure(
      models.resolveAlias(
        { modelId, alias: modelV1.Alias.ALIAS_CHALLENGER },
        tenantMetadata(acme.tenantId),
      ),
    );
    expect(challenger.code).toBe(status.NOT_FOUND);
  });

  it('publishes a chunked upload as the next version, which REST then serves', async () => {
    const sha256 = createHash('sha256').update(artifact).digest('hex');
    const half = Math.ceil(artifact.length / 2);
    const saved = await models.saveVersion(
      [
        {
          metadata: {
            modelId,
            modelName: '',
            sha256,
            sizeBytes: artifact.length,
            trainingDurationMs: 12,
            metrics: { rocAuc: 0.75 },
            lineage: {
              datasetId: dataset.id,
              datasetChecksum: dataset.checksum,
              detectorId: '',
              codeVersion: 'e2e',
            },
            publishKey: '',
          },
        },
        { chunk: artifact.subarray(0, half) },
        { chunk: artifact.subarray(half) },
      ],
      tenantMetadata(acme.tenantId),
    );
    expect(saved.version).toMatchObject({ modelId, version: 2, sha256 });

    const version = expectStatus<Record<string, unknown>>(
      await stack.call(`/api/v1/models/${modelId}/versions/2`, { token: acme.token }),
      200,
    );
    expect(version).toMatchObject({
      sha256,
      sizeBytes: artifact.length,
      metrics: { rocAuc: 0.75 },
      lineage: { datasetId: dataset.id, codeVersion: 'e2e' },
    });
    expect(
      expectStatus<{ latestVersion: number }>(
        await stack.call(`/api/v1/models/${modelId}`, { token: acme.token }),
        200,
      ).latestVersion,
    ).toBe(2);
  });

  it('maps bad input to INVALID_ARGUMENT and foreign models to NOT_FOUND, publishing nothing', async () => {
    const metadata = (sha256: string): modelV1.SaveVersionRequest => ({
      metadata: {
        modelId,
        modelName: '',
        sha256,
        sizeBytes: artifact.length,
        trainingDurationMs: 0,
        lineage: { datasetId: '', datasetChecksum: '', detectorId: '', codeVersion: '' },
        publishKey: '',
      },
    });
    const goodSha = createHash('sha256').update(artifact).digest('hex');
    const wrongSha = await grpcFailure(
      models.saveVersion(
        [metadata('f'.repeat(64)), { chunk: artifact }],
        tenantMetadata(acme.tenantId),
      ),
    );
    expect(wrongSha.code).toBe(status.INVALID_ARGUMENT);
    const foreign = await grpcFailure(
      models.saveVersion([metadata(goodSha), { chunk: artifact }], tenantMetadata(globex.tenantId)),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
    const unspecified = await grpcFailure(
      models.resolveAlias(
        { modelId, alias: modelV1.Alias.ALIAS_UNSPECIFIED },
        tenantMetadata(acme.tenantId),
      ),
    );
    expect(unspecified.code).toBe(status.INVALID_ARGUMENT);
    const foreignFetch = await grpcFailure(
      models.fetchVersion({ modelId, version: 1 }, tenantMetadata(globex.tenantId)),
    );
    const foreignAlias = await grpcFailure(
      models.resolveAlias(
        { modelId, alias: modelV1.Alias.ALIAS_CHAMPION },
        tenantMetadata(globex.tenantId),
      ),
    );
    expect([foreignFetch.code, foreignAlias.code]).toEqual([status.NOT_FOUND, status.NOT_FOUND]);
    expect(
      (await grpcFailure(models.fetchVersion({ modelId, version: 1 }, tenantMetadata()))).code,
    ).toBe(status.INVALID_ARGUMENT);

    const versions = expectStatus<{ items: unknown[] }>(
      await stack.call(`/api/v1/models/${modelId}/versions`, { token: acme.token }),
      200,
    );
    expect(versions.items).toHaveLength(2);
  });
});
