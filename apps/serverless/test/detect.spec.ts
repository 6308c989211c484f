/**
 * The `detect` function invoked with real API Gateway events (REST API v1 and HTTP API v2, plain
 * and base64 bodies): the same answers as the library, problem+json for bad input, and the model
 * loaded once per container however many invocations follow.
 */
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Matrix } from '@nomaly/detection-core';
import { createLogger } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiGatewayResult } from '../src/handlers/api-gateway.js';
import { createDetectHandler, type DetectHandler } from '../src/handlers/detect.js';
import { BundledModelProvider } from '../src/model/model-provider.js';
import { httpApiEvent, restApiEvent } from './events.js';
import { FEATURES, MODEL_ID, rows, writeArtifact, type ModelArtifact } from './model.js';

const logger = createLogger({ service: 'lambda-test', level: 'silent' });
let artifact: ModelArtifact;

function handlerFor(maxRows = 500): {
  handler: DetectHandler;
  models: BundledModelProvider;
} {
  const models = new BundledModelProvider({
    path: artifact.path,
    sha256: artifact.sha256,
    modelId: MODEL_ID,
    version: 3,
    name: 'payments',
  });
  return {
    models,
    handler: createDetectHandler({ models, logger, maxRows, maxBodyBytes: 1024 * 1024 }),
  };
}

function parsed(result: ApiGatewayResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

beforeAll(async () => {
  artifact = await writeArtifact();
});

afterAll(async () => {
  await rm(artifact.dir, { recursive: true, force: true });
});

describe('the detect function', () => {
  const batch = rows(40, 8);
  const expected = () => Array.from(artifact.reference.score(Matrix.fromRows(batch, FEATURES)));

  it.each([
    ['REST API v1', () => restApiEvent(JSON.stringify({ rows: batch }))],
    [
      'REST API v1, base64 body',
      () => restApiEvent(JSON.stringify({ rows: batch }), { base64: true }),
    ],
    ['HTTP API v2', () => httpApiEvent(JSON.stringify({ rows: batch }))],
    [
      'HTTP API v2, base64 body',
      () => httpApiEvent(JSON.stringify({ rows: batch }), { base64: true }),
    ],
  ])(
    'answers a %s event with the library’s scores and the REST detect’s shape',
    async (_name, event) => {
      const { handler } = handlerFor();
      const result = await handler(event());
      expect(result.statusCode).toBe(200);
      expect(result.headers['content-type']).toBe('application/json');
      const body = parsed(result);
      expect(body.scores).toEqual(expected());
      expect(body.labels).toEqual(
        expected().map((s) => (s > artifact.reference.threshold ? 1 : 0)),
      );
      expect(body.threshold).toBe(artifact.reference.threshold);
      expect(body.modelVersion).toEqual({ id: `${MODEL_ID}:3`, modelId: MODEL_ID, version: 3 });
      expect(body.features).toEqual(FEATURES);
    },
  );

  it('takes records keyed by feature name, and explains when asked', async () => {
    const { handler } = handlerFor();
    const records = batch.map((row) => Object.fromEntries(FEATURES.map((f, j) => [f, row[j]])));
    const result = await handler(httpApiEvent(JSON.stringify({ records, explain: true })));
    expect(result.statusCode).toBe(200);
    const body = parsed(result);
    expect(body.scores).toEqual(expected());
    expect(body.explanations).toHaveLength(batch.length);
  });

  it.each([
    ['invalid JSON', restApiEvent('{"rows": [[1, 2'), 400, 'VALIDATION_FAILED', /not valid JSON/],
    [
      'a row of the wrong width',
      httpApiEvent('{"rows": [[1, 2]]}'),
      400,
      'VALIDATION_FAILED',
      /rows\[0\] must be an array of 3 numbers/,
    ],
    [
      'a non-number',
      restApiEvent('{"rows": [[1, "2", 3]]}'),
      400,
      'VALIDATION_FAILED',
      /Row 0, column 'hour'/,
    ],
    [
      'an unknown feature',
      httpApiEvent('{"records": [{"amount": 1, "hour": 2, "distance": 3, "zip": 1}]}'),
      400,
      'VALIDATION_FAILED',
      /'zip', which is not a feature/,
    ],
    [
      'both rows and records',
      restApiEvent('{"rows": [[1,2,3]], "records": []}'),
      400,
      'VALIDATION_FAILED',
      /either "rows" or "records"/,
    ],
    [
      'an unknown field',
      httpApiEvent('{"rows": [[1,2,3]], "threshold": 0}'),
      400,
      'VALIDATION_FAILED',
      /property threshold should not exist/,
    ],
    [
      'another media type',
      restApiEvent('a,b,c', { contentType: 'text/csv' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      /application\/json/,
    ],
    ['a GET', httpApiEvent(undefined, { method: 'GET' }), 405, 'NOT_FOUND', /Only POST/],
  ])('answers %s with problem+json', async (_name, event, status, code, detail) => {
    const { handler } = handlerFor();
    const result = await handler(event);
    expect(result.statusCode).toBe(status);
    expect(result.headers['content-type']).toBe('application/problem+json');
    const problem = parsed(result);
    expect(problem).toMatchObject({ status, code, instance: '/detect' });
    expect(String(problem.detail)).toMatch(detail);
  });

  it('answers 413 over MAX_DETECTION_BATCH_SIZE rows', async () => {
    const { handler } = handlerFor(10);
    const result = await handler(restApiEvent(JSON.stringify({ rows: rows(11, 1) })));
    expect(result.statusCode).toBe(413);
    expect(parsed(result).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('loads the model once and reuses it across invocations, even once the file is gone', async () => {
    const copy = await writeArtifact(9);
    const models = new BundledModelProvider({
      path: copy.path,
      sha256: copy.sha256,
      modelId: MODEL_ID,
      version: 1,
      name: 'payments',
    });
    const handler = createDetectHandler({
      models,
      logger,
      maxRows: 500,
      maxBodyBytes: 1024 * 1024,
    });
    const first = await handler(httpApiEvent(JSON.stringify({ rows: batch })));
    await rm(copy.dir, { recursive: true, force: true });
    const later = await Promise.all(
      Array.from({ length: 5 }, () => handler(restApiEvent(JSON.stringify({ rows: batch })))),
    );
    expect(models.loads).toBe(1);
    for (const result of later) expect(result.body).toBe(first.body);
  });

  it('never scores with an artifact whose SHA-256 does not match (500, the reason only in the log)', async () => {
    const lines: string[] = [];
    const models = new BundledModelProvider({
      path: artifact.path,
      sha256: '0'.repeat(64),
      modelId: MODEL_ID,
      version: 3,
      name: 'payments',
    });
    const handler = createDetectHandler({
      models,
      maxRows: 500,
      maxBodyBytes: 1024 * 1024,
      logger: createLogger({
        service: 'lambda-test',
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString('utf8'));
            done();
          },
        }),
      }),
    });
    const result = await handler(httpApiEvent(JSON.stringify({ rows: batch })));
    expect(result.statusCode).toBe(500);
    expect(parsed(result)).toMatchObject({ code: 'INTERNAL' });
    expect(result.body).not.toContain(artifact.sha256);
    expect(models.loads).toBe(0);
    expect(lines.join('')).toContain(`SHA-256 is ${artifact.sha256}, expected ${'0'.repeat(64)}`);
  });
});
