/**
 * `nomaly.model.v1.ModelService` called as the detector-service and edge agents will: a plain
 * @grpc/grpc-js client on the published .proto, with deadlines and `x-tenant-id` metadata.
 */
import { createHash } from 'node:crypto';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadDetector } from '@nomaly/detection-core';
import { GRPC_LOADER_OPTIONS, modelV1, PROTO_FILES, protoPath } from '@nomaly/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainForest, type TrainedModel } from './fixtures.js';
import { call, count, sql, startStack, type Caller, type Stack } from './harness.js';

type Client = InstanceType<ServiceClientConstructor> & {
  saveVersion(
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response?: modelV1.SaveVersionResponse) => void,
  ): ClientWritableStream<modelV1.SaveVersionRequest>;
  fetchVersion(
    request: modelV1.FetchVersionRequest,
    metadata: Metadata,
    options: { deadline: Date },
  ): ClientReadableStream<modelV1.FetchVersionResponse>;
  resolveAlias(
    request: modelV1.ResolveAliasRequest,
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response?: modelV1.ResolveAliasResponse) => void,
  ): void;
};

const CHUNK = 16 * 1024;
let stack: Stack;
let client: Client;
let forest: TrainedModel;
/** Deliberately not canonical JSON: the registry must store and return the bytes as sent. */
let artifact: Buffer;
let digest: string;

const deadline = (): { deadline: Date } => ({ deadline: new Date(Date.now() + 10_000) });

function tenant(caller: Caller | string | undefined): Metadata {
  const metadata = new Metadata();
  if (caller !== undefined) {
    metadata.set('x-tenant-id', typeof caller === 'string' ? caller : caller.tenantId);
  }
  return metadata;
}

function metadataFor(
  target: { modelId: string } | { modelName: string },
  bytes: Buffer = artifact,
  overrides: Partial<modelV1.SaveVersionMetadata> = {},
): modelV1.SaveVersionMetadata {
  return {
    modelId: '',
    modelName: '',
    ...target,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    trainingDurationMs: 42,
    metrics: { rocAuc: 0.9 },
    lineage: { datasetId: '', datasetChecksum: 'crc:1', detectorId: '', codeVersion: 'test' },
    publishKey: '',
    ...overrides,
  };
}

/** Streams metadata then the bytes in 16 KiB chunks; `stopAfter` chunks ends (or cancels) early. */
function save(
  caller: Caller | string | undefined,
  metadata: modelV1.SaveVersionMetadata,
  options: { bytes?: Buffer; stopAfter?: number; cancel?: boolean } = {},
): Promise<modelV1.SaveVersionResponse> {
  const bytes = options.bytes ?? artifact;
  return new Promise((resolve, reject) => {
    const stream = client.saveVersion(tenant(caller), deadline(), (error, response) =>
      error === null && response !== undefined
        ? resolve(response)
        : reject(error ?? new Error('no response')),
    );
    stream.write({ metadata });
    let sent = 0;
    for (let offset = 0; offset < bytes.length; offset += CHUNK) {
      if (options.stopAfter !== undefined && sent === options.stopAfter) break;
      stream.write({ chunk: bytes.subarray(offset, offset + CHUNK) });
      sent++;
    }
    if (options.cancel === true) {
      // Give the server the chunks, then break the call off without half-closing.
      setTimeout(() => stream.cancel(), 200);
    } else {
      stream.end();
    }
  });
}

function fetchVersion(
  caller: Caller | string,
  modelId: string,
  version: number,
): Promise<modelV1.FetchVersionResponse[]> {
  return new Promise((resolve, reject) => {
    const messages: modelV1.FetchVersionResponse[] = [];
    const stream = client.fetchVersion({ modelId, version }, tenant(caller), deadline());
    stream.on('data', (message: modelV1.FetchVersionResponse) => messages.push(message));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

function resolveAlias(
  caller: Caller | string | undefined,
  modelId: string,
  alias: modelV1.Alias,
): Promise<modelV1.ResolveAliasResponse> {
  return new Promise((resolve, reject) => {
    client.resolveAlias({ modelId, alias }, tenant(caller), deadline(), (error, response) =>
      error === null && response !== undefined
        ? resolve(response)
        : reject(error ?? new Error('no response')),
    );
  });
}

async function versionsOf(modelId: string): Promise<number> {
  const rows = await sql<{ n: string }>(
    stack.database.url,
    `SELECT count(*) AS n FROM model.model_versions WHERE model_id = $1`,
    [modelId],
  );
  return Number(rows[0]?.n);
}

async function createModel(name: string): Promise<string> {
  const response = await call(stack, '/api/v1/models', {
    caller: stack.analyst,
    json: { name, algorithm: 'iforest' },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

beforeAll(async () => {
  forest = trainForest(11, 80);
  artifact = Buffer.from(JSON.stringify(forest.document, null, 2), 'utf8');
  digest = createHash('sha256').update(artifact).digest('hex');
  expect(artifact.length).toBeGreaterThan(4 * CHUNK); // several chunks each way
  stack = await startStack();
  const definition = loadSync(protoPath(PROTO_FILES.model), { ...GRPC_LOADER_OPTIONS });
  const loaded = loadPackageDefinition(definition) as unknown as {
    nomaly: { model: { v1: { ModelService: ServiceClientConstructor } } };
  };
  client = new loaded.nomaly.model.v1.ModelService(
    stack.service.grpcAddress,
    credentials.createInsecure(),
  ) as Client;
});

afterAll(async () => {
  client?.close();
  await stack?.stop();
});

describe('SaveVersion and FetchVersion', () => {
  it('publishes a chunked upload and streams it back byte-identical, scoring like the original', async () => {
    const saved = await save(stack.analyst, metadataFor({ modelName: 'grpc-roundtrip' }));
    expect(saved.version).toMatchObject({ version: 1, sha256: digest, sizeBytes: artifact.length });
    const modelId = saved.version?.modelId ?? '';

    const messages = await fetchVersion(stack.viewer, modelId, 1);
    const [first, ...rest] = messages;
    expect(first?.metadata).toMatchObject({
      modelId,
      version: 1,
      sha256: digest,
      sizeBytes: artifact.length,
      algorithm: 'iforest',
    });
    expect(rest.length).toBeGreaterThanOrEqual(1);
    expect(rest.every((m) => m.chunk !== undefined && m.chunk.length <= 1024 * 1024)).toBe(true);
    const bytes = Buffer.concat(rest.map((m) => m.chunk ?? new Uint8Array()));
    expect(bytes.equals(artifact)).toBe(true);
    const detector = loadDetector(JSON.parse(bytes.toString('utf8')));
    expect(detector.score(forest.rows)).toEqual(forest.detector.score(forest.rows));

    // The same model by name gets the next version; metadata landed in the version's row.
    const second = await save(stack.analyst, metadataFor({ modelName: 'grpc-roundtrip' }));
    expect(second.version).toMatchObject({ modelId, version: 2 });
    const version = (await (
      await call(stack, `/api/v1/models/${modelId}/versions/2`, { caller: stack.viewer })
    ).json()) as Record<string, unknown>;
    expect(version).toMatchObject({
      training: { durationMs: 42 },
      metrics: { rocAuc: 0.9, averagePrecision: null },
      lineage: { datasetChecksum: 'crc:1', codeVersion: 'test', datasetId: null },
    });
  });

  it('publishes nothing for a wrong SHA-256, a short stream or a cancelled one', async () => {
    const modelId = await createModel('grpc-refusals');
    const wrong = save(
      stack.analyst,
      metadataFor({ modelId }, artifact, { sha256: 'f'.repeat(64) }),
    );
    await expect(wrong).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/SHA-256 of the received bytes/) as unknown,
    });
    const short = save(stack.analyst, metadataFor({ modelId }), { stopAfter: 2 });
    await expect(short).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/ended after 32768 of \d+ declared bytes/) as unknown,
    });
    const cancelled = save(stack.analyst, metadataFor({ modelId }), {
      stopAfter: 2,
      cancel: true,
    });
    await expect(cancelled).rejects.toMatchObject({ code: status.CANCELLED });
    // The server learns of a cancellation just after the client: give it time to act on it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await versionsOf(modelId)).toBe(0);
    const [model] = await sql<{ latest_version: number }>(
      stack.database.url,
      `SELECT latest_version FROM model.models WHERE id = $1`,
      [modelId],
    );
    expect(model?.latest_version).toBe(0);
    // Nothing half-done stands in the way of the next complete upload.
    expect((await save(stack.analyst, metadataFor({ modelId }))).version?.version).toBe(1);
  });

  it('publishes once per publish_key: a retry gets that version, another artifact is refused', async () => {
    const modelId = await createModel('grpc-publish-key');
    const keyed = metadataFor({ modelId }, artifact, { publishKey: 'train-job:1' });
    // Concurrent retries queue on the model's lock; the first publishes, the rest find it.
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => save(stack.analyst, keyed)));
    expect(new Set(answers.map((answer) => answer.version?.version))).toEqual(new Set([1]));
    expect(answers.every((answer) => answer.version?.sha256 === digest)).toBe(true);
    // Named by the model's name instead of its id: still the same publication.
    const byName = await save(
      stack.analyst,
      metadataFor({ modelName: 'grpc-publish-key' }, artifact, { publishKey: 'train-job:1' }),
    );
    expect(byName.version).toMatchObject({ modelId, version: 1 });
    expect(await versionsOf(modelId)).toBe(1);

    const other = Buffer.from(JSON.stringify(trainForest(12, 80).document), 'utf8');
    await expect(
      save(stack.analyst, metadataFor({ modelId }, other, { publishKey: 'train-job:1' }), {
        bytes: other,
      }),
    ).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(
        /Publish key 'train-job:1' already published version 1 .* with another artifact/,
      ) as unknown,
    });
    for (const bad of ['has space', 'x'.repeat(201), 'é']) {
      await expect(
        save(stack.analyst, metadataFor({ modelId }, artifact, { publishKey: bad })),
      ).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/metadata.publish_key must be/) as unknown,
      });
    }
    expect(await versionsOf(modelId)).toBe(1);

    // Another key, or none, publishes the next version; a key is per model.
    const next = await save(
      stack.analyst,
      metadataFor({ modelId }, artifact, { publishKey: 'train-job:2' }),
    );
    expect(next.version?.version).toBe(2);
    expect((await save(stack.analyst, metadataFor({ modelId }))).version?.version).toBe(3);
    const elsewhere = await save(
      stack.analyst,
      metadataFor({ modelName: 'grpc-publish-key-2' }, artifact, { publishKey: 'train-job:1' }),
    );
    expect(elsewhere.version).toMatchObject({ version: 1 });
    expect(elsewhere.version?.modelId).not.toBe(modelId);
  });

  it('refuses an artifact detection-core cannot load, naming why', async () => {
    const modelId = await createModel('grpc-unloadable');
    const tampered = Buffer.from(
      JSON.stringify({ ...forest.document, threshold: forest.document.threshold * 2 }),
    );
    await expect(
      save(stack.analyst, metadataFor({ modelId }, tampered), { bytes: tampered }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/does not match its sha256/) as unknown,
    });
    expect(await versionsOf(modelId)).toBe(0);
  });

  it('answers DATA_LOSS, never bytes, for an artifact changed in storage', async () => {
    const saved = await save(stack.analyst, metadataFor({ modelName: 'grpc-tampered' }));
    const modelId = saved.version?.modelId ?? '';
    await sql(
      stack.database.url,
      `UPDATE model.model_versions SET artifact = artifact || '\\x20'::bytea,
              size_bytes = size_bytes + 1 WHERE model_id = $1`,
      [modelId],
    );
    const received: modelV1.FetchVersionResponse[] = [];
    const failure = await new Promise<ServiceError>((resolve, reject) => {
      const stream = client.fetchVersion({ modelId, version: 1 }, tenant(stack.viewer), deadline());
      stream.on('data', (message: modelV1.FetchVersionResponse) => received.push(message));
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error('the stream ended without an error')));
    });
    expect(failure.code).toBe(status.DATA_LOSS);
    expect(failure.details).toMatch(/failed verification.*SHA-256 of the stored bytes/);
    expect(received).toEqual([]);
  });
});

describe('ResolveAlias', () => {
  it('resolves the champion after a promotion and follows the next one', async () => {
    const saved = await save(stack.analyst, metadataFor({ modelName: 'grpc-alias' }));
    const modelId = saved.version?.modelId ?? '';
    await save(stack.analyst, metadataFor({ modelId }));
    await expect(
      resolveAlias(stack.viewer, modelId, modelV1.Alias.ALIAS_CHAMPION),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    const promote = (version: number) =>
      call(stack, `/api/v1/models/${modelId}/promote`, {
        caller: stack.admin,
        json: { version, alias: 'champion' },
      });
    await promote(1);
    const resolved = await resolveAlias(stack.viewer, modelId, modelV1.Alias.ALIAS_CHAMPION);
    expect(resolved.version).toMatchObject({ modelId, version: 1, sha256: digest });
    expect(resolved.updatedAt?.seconds).toBeGreaterThan(0);
    await promote(2);
    expect(
      (await resolveAlias(stack.viewer, modelId, modelV1.Alias.ALIAS_CHAMPION)).version?.version,
    ).toBe(2);
    await expect(
      resolveAlias(stack.viewer, modelId, modelV1.Alias.ALIAS_UNSPECIFIED),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});

describe('tenancy over gRPC', () => {
  it('answers NOT_FOUND for another tenant’s model, and INVALID_ARGUMENT without a tenant', async () => {
    const saved = await save(stack.analyst, metadataFor({ modelName: 'grpc-private' }));
    const modelId = saved.version?.modelId ?? '';
    await call(stack, `/api/v1/models/${modelId}/promote`, {
      caller: stack.admin,
      json: { version: 1, alias: 'champion' },
    });
    await expect(fetchVersion(stack.stranger, modelId, 1)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(
      resolveAlias(stack.stranger, modelId, modelV1.Alias.ALIAS_CHAMPION),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    const before = await count(stack, 'model_versions');
    await expect(save(stack.stranger, metadataFor({ modelId }))).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    expect(await count(stack, 'model_versions')).toBe(before);
    await expect(
      resolveAlias(undefined, modelId, modelV1.Alias.ALIAS_CHAMPION),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(fetchVersion('not-a-uuid', modelId, 1)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});
