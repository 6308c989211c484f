/**
 * The pool with its real thread script (the built one: a worker thread runs JavaScript), so
 * `nx test worker` builds first.
 */
import { createDetector, Matrix, Random } from '@nomaly/detection-core';
import { fitModel } from '@nomaly/detector-runtime';
import { createLogger, ServiceError } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolStoppedError, ThreadPool } from './thread-pool.js';

const SCRIPT = new URL('../../dist/scoring/scoring-thread.js', import.meta.url);
const logger = createLogger({ service: 'thread-pool-spec', level: 'silent' });
const FEATURES = ['a', 'b', 'c'];

function data(rows: number, seed: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: rows * FEATURES.length }, () => random.normal());
}

let sut: ThreadPool;
let document: string;
let reference: ReturnType<typeof createDetector>;

beforeAll(() => {
  sut = new ThreadPool(SCRIPT, 2, logger);
  reference = createDetector('iforest', { nEstimators: 30, seed: 5 }).fit(
    new Matrix(data(500, 1), 500, 3, FEATURES),
  );
  document = JSON.stringify(reference.toJSON());
});

afterAll(async () => {
  await sut?.close();
});

describe(ThreadPool.name, () => {
  it('scores chunks on its threads exactly as the library does in process', async () => {
    const model = { key: 'model:1', document };
    const chunks = [0, 1, 2, 3, 4].map((i) => data(200, 10 + i));
    const expected = chunks.map((chunk) =>
      Array.from(reference.score(new Matrix(chunk.slice(), 200, 3, FEATURES))),
    );
    const scored = await Promise.all(chunks.map((chunk) => sut.score(model, chunk, 200, 3)));
    expect(scored.map((scores) => Array.from(scores))).toEqual(expected);
  });

  it('fits on a thread exactly as in process', async () => {
    const rows = data(400, 2);
    const request = { algorithm: 'iforest', parameters: { nEstimators: 20 }, seed: 3 };
    const inProcess = fitModel(request, { data: rows.slice(), rows: 400, features: FEATURES });
    const fitted = await sut.fit(request, rows, 400, FEATURES);
    expect(fitted.document).toBe(inProcess.document);
    expect(fitted.threshold).toBe(inProcess.threshold);
    expect(Array.from(fitted.scores)).toEqual(Array.from(inProcess.scores));
  });

  it('passes the library’s refusals on as ServiceErrors with their code', async () => {
    const refused = await sut
      .fit({ algorithm: 'iforest', parameters: { nEstimators: -1 } }, data(10, 4), 10, FEATURES)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(ServiceError);
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('terminates an aborted fit and keeps serving with a fresh thread', async () => {
    const controller = new AbortController();
    // LOF on 20,000 rows runs for a while: long enough to be aborted mid-fit.
    const fitting = sut.fit(
      { algorithm: 'lof', parameters: {} },
      data(20_000, 6),
      20_000,
      FEATURES,
      controller.signal,
    );
    controller.abort('cancelled');
    await expect(fitting).rejects.toBeInstanceOf(PoolStoppedError);
    const scores = await sut.score({ key: 'model:1', document }, data(10, 7), 10, 3);
    expect(scores).toHaveLength(10);
  });

  it('fails what is pending once closed', async () => {
    const pool = new ThreadPool(SCRIPT, 1, logger);
    const pending = pool.score({ key: 'm', document }, data(10, 8), 10, 3).then(
      () => undefined,
      (error: unknown) => error,
    );
    await pool.close();
    expect(await pending).toBeInstanceOf(PoolStoppedError);
    await expect(pool.score({ key: 'm', document }, data(10, 9), 10, 3)).rejects.toBeInstanceOf(
      PoolStoppedError,
    );
  });
});
