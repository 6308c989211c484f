/**
 * The S3-triggered batch function on a real object store (a directory laid out as buckets): a
 * real `ObjectCreated:Put` event, a CSV in chunks larger than one detect call, one score per row
 * equal to the library's, and the refusals that must not make Lambda retry.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '@nomaly/detection-core';
import { createLogger } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchHandler } from '../src/handlers/batch.js';
import { BundledModelProvider } from '../src/model/model-provider.js';
import { DirectoryObjectStore } from '../src/object-store/directory-object-store.js';
import { s3PutEvent } from './events.js';
import { FEATURES, MODEL_ID, rows, writeArtifact, type ModelArtifact } from './model.js';

const BUCKET = 'nomaly-batch';
let artifact: ModelArtifact;
let root: string;
let handler: ReturnType<typeof createBatchHandler>;
let models: BundledModelProvider;

async function putObject(key: string, text: string): Promise<number> {
  const path = join(root, BUCKET, key);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return Buffer.byteLength(text);
}

beforeAll(async () => {
  artifact = await writeArtifact();
  root = await mkdtemp(join(tmpdir(), 'nomaly-objects-'));
  models = new BundledModelProvider({
    path: artifact.path,
    sha256: artifact.sha256,
    modelId: MODEL_ID,
    version: 2,
    name: 'payments',
  });
  handler = createBatchHandler({
    models,
    store: new DirectoryObjectStore(root),
    maxRows: 1_000,
    logger: createLogger({ service: 'batch-test', level: 'silent' }),
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(artifact.dir, { recursive: true, force: true });
});

describe('the batch function', () => {
  it('writes one score per row next to the CSV, equal to the library’s, across chunks', async () => {
    const data = rows(2_500, 12);
    // Columns in another order than the model's features, plus columns it does not use.
    const csv = [
      'id,distance,label,amount,hour',
      ...data.map(
        ([amount, hour, distance], i) =>
          `r${i},${distance},${i % 25 === 0 ? 1 : 0},${amount},${hour}`,
      ),
    ].join('\n');
    const key = 'incoming/day 1.csv';
    const size = await putObject(key, `${csv}\n`);

    const outcomes = await handler(s3PutEvent(BUCKET, key, size));
    expect(outcomes).toEqual([
      { bucket: BUCKET, key, outcome: 'scored', output: 'incoming/day 1.scores.csv', rows: 2_500 },
    ]);
    const written = (await readFile(join(root, BUCKET, 'incoming', 'day 1.scores.csv'), 'utf8'))
      .trim()
      .split('\n');
    expect(written[0]).toBe('row,score,label');
    expect(written).toHaveLength(2_501);
    const expected = artifact.reference.score(Matrix.fromRows(data, FEATURES));
    const threshold = artifact.reference.threshold;
    written.slice(1).forEach((line, i) => {
      const [row, score, label] = line.split(',');
      expect(Number(row)).toBe(i);
      expect(Number(score)).toBe(expected[i]);
      expect(Number(label)).toBe((expected[i] as number) > threshold ? 1 : 0);
    });
  });

  it('refuses a CSV it cannot score with an error object, instead of failing (no retries)', async () => {
    const key = 'incoming/broken.csv';
    const size = await putObject(key, 'amount,hour,distance\n1,2,3\n4,five,6\n');
    const outcomes = await handler(s3PutEvent(BUCKET, key, size));
    expect(outcomes[0]).toMatchObject({ outcome: 'refused', output: 'incoming/broken.error.json' });
    const problem = JSON.parse(
      await readFile(join(root, BUCKET, 'incoming', 'broken.error.json'), 'utf8'),
    ) as {
      code: string;
      detail: string;
    };
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.detail).toBe(`Line 3, column 'hour': expected a finite number, got "five".`);

    const missingColumn = 'incoming/no-distance.csv';
    await putObject(missingColumn, 'amount,hour\n1,2\n');
    const [refused] = await handler(s3PutEvent(BUCKET, missingColumn, 12));
    expect(refused?.outcome).toBe('refused');
    expect(
      await readFile(join(root, BUCKET, 'incoming', 'no-distance.error.json'), 'utf8'),
    ).toMatch(/lacks the model's feature column\(s\) distance/);
  });

  it('skips the objects it writes itself and objects deleted before it ran', async () => {
    const outcomes = await handler({
      Records: [
        ...s3PutEvent(BUCKET, 'incoming/day 1.scores.csv', 10).Records,
        ...s3PutEvent(BUCKET, 'incoming/gone.csv', 10).Records,
      ],
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['skipped', 'skipped']);
    expect(models.loads).toBe(1);
  });
});
