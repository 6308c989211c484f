/**
 * Batch detection as a durable job beside the library's raw scoring speed, on the same model
 * and rows: `cover.csv` (286,048 × 10) from the shared data sets, an isolation forest trained on
 * it by a train job, then detect jobs run by the worker — every service a built process on
 * this machine's Postgres and Redis, logs at `warn`.
 *
 * - library: `loadDetector(artifact).score(rows)` in this process, one thread, no I/O;
 * - job, worker time: the job's startedAt → finishedAt (stream the rows over gRPC, score the
 *   chunks on the worker's threads, write every chunk's scores to Postgres);
 * - job, end to end: the POST /api/v1/jobs → the first GET that sees it succeeded (polled every
 *   25 ms), so queueing and polling are in it;
 * - where the worker's time goes: the dataset's rows streamed over gRPC into this process with
 *   nothing else done (StreamRows alone), and the worker's own mean time to score and store a
 *   chunk (`nomaly_job_chunk_duration_seconds`, its threads working in parallel).
 *
 * Prints a Markdown table with the machine and versions.
 *
 *   npx nx run-many -t build && npx tsx tools/bench/jobs.ts [--repeat 5] [--threads N] [--chunk-rows 10000]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDetector, Matrix } from '@nomaly/detection-core';
import { DatasetClient } from '@nomaly/detector-runtime';
import { createLogger, Resilience } from '@nomaly/platform-core';
import { REPO_ROOT, sharedDir, sql, startService, TEST_REDIS_URL } from '@nomaly/testing';
import { startBenchServices } from './bench-services.js';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '5' },
    threads: { type: 'string', default: String(cpus().length) },
    'chunk-rows': { type: 'string', default: '10000' },
  },
});
const repeat = Number(values.repeat);
const threads = Number(values.threads);
const chunkRows = Number(values['chunk-rows']);
const shared = sharedDir();
if (shared === undefined) {
  throw new Error('tools/bench/jobs.ts needs ../shared/datasets/cover.csv (or NOMALY_SHARED_DIR)');
}

interface Job {
  id: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  error?: unknown;
  result?: { modelVersion: { modelId: string; version: number }; rows: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmtRate = (rows: number, seconds: number): string =>
  Math.round(rows / seconds).toLocaleString('en-US');

const csv = readFileSync(join(shared, 'datasets', 'cover.csv'), 'utf8');
const [header = '', ...lines] = csv.trimEnd().split('\n');
const names = header.split(',');
const labelAt = names.indexOf('label');
const features = names.filter((_, j) => j !== labelAt);
const n = lines.length;
const data = new Float64Array(n * features.length);
lines.forEach((line, i) => {
  let j = 0;
  line.split(',').forEach((value, k) => {
    if (k !== labelAt) data[i * features.length + j++] = Number(value);
  });
});

const services = await startBenchServices({ detectorEnv: { JOB_CHUNK_ROWS: String(chunkRows) } });
const { auth, database, dataset, model, detector, upstreams } = services;
const worker = await startService(
  'worker',
  {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'warn',
    WORKER_THREADS: String(threads),
    ...upstreams,
  },
  { portVariables: ['PORT'] },
);

try {
  const { token, tenantId } = await auth.tokenFor('bench');
  const request = async <T>(
    base: string,
    path: string,
    init: { method?: string; json?: unknown; body?: string; type?: string } = {},
    expected = 200,
  ): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? (init.json === undefined && init.body === undefined ? 'GET' : 'POST'),
      headers: {
        Authorization: `Bearer ${token}`,
        ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(init.type !== undefined ? { 'Content-Type': init.type } : {}),
      },
      body: init.json !== undefined ? JSON.stringify(init.json) : (init.body ?? null),
    });
    const text = await response.text();
    if (response.status !== expected) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const follow = async (id: string): Promise<Job> => {
    for (;;) {
      const job = await request<Job>(detector.baseUrl, `/api/v1/jobs/${id}`);
      if (job.state === 'succeeded') return job;
      if (job.state === 'failed' || job.state === 'cancelled') {
        throw new Error(`job ${id} ended ${job.state}: ${JSON.stringify(job.error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const uploaded = await request<{ id: string }>(
    dataset.baseUrl,
    '/api/v1/datasets?name=cover',
    { body: csv, type: 'text/csv' },
    201,
  );
  const created = await request<{ id: string }>(
    detector.baseUrl,
    '/api/v1/detectors',
    { json: { name: 'cover', algorithm: 'iforest' } },
    201,
  );
  const trainStarted = performance.now();
  const training = await request<{ jobId: string }>(
    detector.baseUrl,
    `/api/v1/detectors/${created.id}/train`,
    { json: { datasetId: uploaded.id, seed: 1 } },
    202,
  );
  const trained = await follow(training.jobId);
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const trainedVersion = trained.result?.modelVersion;
  const artifact = await request<unknown>(
    model.baseUrl,
    `/api/v1/models/${trainedVersion?.modelId}/versions/${trainedVersion?.version}/artifact`,
  );

  const library: number[] = [];
  const loaded = loadDetector(artifact);
  const matrix = new Matrix(data, n, features.length, features);
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    loaded.score(matrix);
    library.push((performance.now() - started) / 1000);
  }

  const workerTime: number[] = [];
  const endToEnd: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const job = await request<Job>(
      detector.baseUrl,
      '/api/v1/jobs',
      { json: { type: 'detect', detectorId: created.id, datasetId: uploaded.id } },
      202,
    );
    const done = await follow(job.id);
    endToEnd.push((performance.now() - started) / 1000);
    workerTime.push((Date.parse(done.finishedAt ?? '') - Date.parse(done.startedAt ?? '')) / 1000);
  }

  const streaming: number[] = [];
  const datasets = new DatasetClient({
    address: dataset.grpcAddress,
    resilience: new Resilience({
      service: 'bench',
      enabled: false,
      breakersEnabled: false,
      logger: createLogger({ service: 'bench', level: 'silent' }),
    }),
  });
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    let streamed = 0;
    for await (const message of datasets.rows(tenantId, {
      datasetId: uploaded.id,
      columns: features,
      includeLabel: false,
      maxRowsPerChunk: 0,
      startRow: 0,
    })) {
      streamed += message.rowCount;
    }
    if (streamed !== n) throw new Error(`streamed ${streamed} of ${n} rows`);
    streaming.push((performance.now() - started) / 1000);
  }
  datasets.close();
  const metrics = await (await fetch(`${worker.baseUrl}/metrics`)).text();
  const sample = (name: string): number =>
    Number(
      metrics
        .split('\n')
        .find((line) => line.startsWith(`${name}{`) && line.includes('type="detect"'))
        ?.split(' ')
        .at(-1) ?? Number.NaN,
    );
  const chunkMs =
    (sample('nomaly_job_chunk_duration_seconds_sum') /
      sample('nomaly_job_chunk_duration_seconds_count')) *
    1000;

  const require = createRequire(import.meta.url);
  const packageVersion = (name: string): string =>
    (
      require(
        require.resolve(`${name}/package.json`, { paths: [join(REPO_ROOT, 'libs', 'jobs')] }),
      ) as { version: string }
    ).version;
  const [pg] = await sql<{ server_version: string }>(database.url, 'SHOW server_version');
  const redisVersion = /redis_version:(\S+)/.exec(
    execFileSync('redis-cli', ['-u', TEST_REDIS_URL, 'INFO', 'server'], { encoding: 'utf8' }),
  )?.[1];

  const row = (what: string, seconds: number[], rows = n) =>
    `| ${what} | ${rows.toLocaleString('en-US')} | ${Math.min(...seconds).toFixed(2)} s | ${median(seconds).toFixed(2)} s | ${fmtRate(rows, Math.min(...seconds))} | ${fmtRate(rows, median(seconds))} |`;
  process.stdout.write(
    [
      `Batch detection of cover.csv (${n.toLocaleString('en-US')} × ${features.length}), isolation forest (100 trees), ${repeat} runs each`,
      '',
      '| measurement | rows | min | median | rows/s at min | rows/s at median |',
      '|---|---:|---:|---:|---:|---:|',
      row('detection-core `score`, in process, 1 thread', library),
      row(
        `detect job, worker time (${threads} scoring threads, ${chunkRows.toLocaleString('en-US')}-row chunks)`,
        workerTime,
      ),
      row('detect job, end to end (submit → seen succeeded)', endToEnd),
      row('train job (read, fit, publish), end to end, once', [trainSeconds]),
      row('StreamRows alone: the rows over gRPC into this process, nothing else', streaming),
      '',
      `mean time to score and store one ${chunkRows.toLocaleString('en-US')}-row chunk in the worker: ${chunkMs.toFixed(1)} ms`,
      '',
      `job / library at median: ${((n / median(workerTime) / (n / median(library))) * 100).toFixed(0)}% (worker time), ${((n / median(endToEnd) / (n / median(library))) * 100).toFixed(0)}% (end to end)`,
      '',
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ` +
        `bullmq ${packageVersion('bullmq')}, ioredis ${packageVersion('ioredis')}, PostgreSQL ${pg?.server_version}, Redis ${redisVersion}; ` +
        'every service, PostgreSQL, Redis and this script on this machine',
      '',
    ].join('\n'),
  );
} finally {
  await worker.stop();
  await services.stop();
}
