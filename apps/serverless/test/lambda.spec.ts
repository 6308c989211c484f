/**
 * The deployed entry points (`dist/lambda.detect`, `dist/lambda.batch`) configured only by their
 * environment, as in AWS: a bundled artifact verified by its SHA-256 and a directory object store.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Matrix } from '@nomaly/detection-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiEvent, s3PutEvent } from './events.js';
import { FEATURES, MODEL_ID, rows, writeArtifact, type ModelArtifact } from './model.js';

let artifact: ModelArtifact;

beforeAll(async () => {
  artifact = await writeArtifact(21);
  Object.assign(process.env, {
    MODEL_ID,
    MODEL_ARTIFACT_PATH: artifact.path,
    MODEL_SHA256: artifact.sha256,
    MODEL_VERSION: '7',
    OBJECT_STORE_DIR: join(artifact.dir, 'objects'),
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await rm(artifact.dir, { recursive: true, force: true });
});

describe('the Lambda entry points', () => {
  it('serve detect and batch from the environment, sharing one loaded model', async () => {
    const lambda = await import('../src/lambda.js');
    const batch = rows(30, 3);
    const answer = await lambda.detect(httpApiEvent(JSON.stringify({ rows: batch })));
    expect(answer.statusCode).toBe(200);
    expect((JSON.parse(answer.body) as { scores: number[] }).scores).toEqual(
      Array.from(artifact.reference.score(Matrix.fromRows(batch, FEATURES))),
    );
    expect(
      (JSON.parse(answer.body) as { modelVersion: { version: number } }).modelVersion.version,
    ).toBe(7);

    await mkdir(join(artifact.dir, 'objects', 'in'), { recursive: true });
    const csv = ['amount,hour,distance', ...batch.map((r) => r.join(','))].join('\n');
    await writeFile(join(artifact.dir, 'objects', 'in', 'x.csv'), csv);
    const [outcome] = await lambda.batch(s3PutEvent('in', 'x.csv', csv.length));
    expect(outcome).toMatchObject({ outcome: 'scored', rows: 30 });
    const scores = (await readFile(join(artifact.dir, 'objects', 'in', 'x.scores.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[1]));
    expect(scores).toEqual((JSON.parse(answer.body) as { scores: number[] }).scores);
  });
});
