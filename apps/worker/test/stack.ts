/**
 * The services a job needs, each a real process: auth (tokens), dataset and model (the gRPC
 * peers), the detector-service (the jobs API) and the worker, on one test database (each in its
 * own schema, the worker in the detector's) and a Redis — the machine's, or one of the test's
 * own (`ownRedis`), which a test may kill and restart empty.
 */
import { loadDetector, type Detector } from '@nomaly/detection-core';
import {
  call,
  createTestDatabase,
  json,
  OwnRedis,
  sql,
  startAuthService,
  startService,
  TEST_REDIS_URL,
  type AuthFixture,
  type RunningService,
  type TestDatabase,
} from '@nomaly/testing';

export { call, json } from '@nomaly/testing';

export interface JobsStack {
  readonly auth: AuthFixture;
  readonly database: TestDatabase;
  /** Present with `ownRedis`. */
  readonly redis: OwnRedis | undefined;
  readonly dataset: RunningService;
  readonly model: RunningService;
  readonly detector: RunningService;
  /** The worker running now (replaced by `startWorker`). */
  worker: RunningService | undefined;
  /** Starts a worker process (a new one each time: after a kill, or beside another). */
  startWorker(extraEnv?: Record<string, string>): Promise<RunningService>;
  /** `count(*)` of a table of the detector schema. */
  count(table: 'jobs' | 'job_chunks'): Promise<number>;
  stop(): Promise<void>;
}

const LIBERAL_RATE_LIMIT = {
  RATE_LIMIT_BURST: '1000000',
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
};

export async function startJobsStack(
  options: {
    ownRedis?: boolean;
    detectorEnv?: Record<string, string>;
    workerEnv?: Record<string, string>;
  } = {},
): Promise<JobsStack> {
  const redis = options.ownRedis === true ? await OwnRedis.start() : undefined;
  const started: Array<{ stop(): Promise<unknown> }> = [];
  try {
    const auth = await startAuthService();
    started.push(auth);
    const database = await createTestDatabase();
    started.push({ stop: () => database.drop() });
    const common = {
      DATABASE_URL: database.url,
      REDIS_URL: redis?.url ?? TEST_REDIS_URL,
      AUTH_JWKS_URL: auth.jwksUrl,
      ...LIBERAL_RATE_LIMIT,
    };
    const [dataset, model] = await Promise.all([
      startService('dataset-service', common).then((service) => (started.push(service), service)),
      startService('model-service', common).then((service) => (started.push(service), service)),
    ]);
    const upstreams = {
      DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
      MODEL_SERVICE_GRPC_URL: model.grpcAddress,
    };
    // The detector-service migrates the detector schema (job tables included) before the worker.
    const detector = await startService('detector-service', {
      ...common,
      ...upstreams,
      ...options.detectorEnv,
    });
    return assemble({
      auth,
      database,
      redis,
      dataset,
      model,
      detector,
      common,
      upstreams,
      options,
    });
  } catch (error) {
    // Services first (they hold connections), then the databases, then Redis.
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    await redis?.dispose();
    throw error;
  }
}

function assemble(parts: {
  auth: AuthFixture;
  database: TestDatabase;
  redis: OwnRedis | undefined;
  dataset: RunningService;
  model: RunningService;
  detector: RunningService;
  common: Record<string, string>;
  upstreams: Record<string, string>;
  options: { workerEnv?: Record<string, string> };
}): JobsStack {
  const { auth, database, redis, dataset, model, detector, common, upstreams, options } = parts;
  const workers: RunningService[] = [];
  const stack: JobsStack = {
    auth,
    database,
    redis,
    dataset,
    model,
    detector,
    worker: undefined,
    async startWorker(extraEnv = {}) {
      const worker = await startService(
        'worker',
        {
          DATABASE_URL: database.url,
          REDIS_URL: common.REDIS_URL as string,
          ...upstreams,
          ...options.workerEnv,
          ...extraEnv,
        },
        { portVariables: ['PORT'] },
      );
      workers.push(worker);
      stack.worker = worker;
      return worker;
    },
    async count(table) {
      const [row] = await sql<{ n: string }>(
        database.url,
        `SELECT count(*) AS n FROM detector.${table}`,
      );
      return Number(row?.n);
    },
    async stop() {
      for (const worker of workers) {
        if (worker.process.exitCode === null && worker.process.signalCode === null) {
          worker.process.kill('SIGKILL');
        }
      }
      await Promise.all([detector.stop(), dataset.stop(), model.stop()]);
      await auth.stop();
      await database.drop();
      await redis?.dispose();
    },
  };
  return stack;
}

/** The model of a published version, loaded from its artifact as the library loads it. */
export async function loadVersion(
  stack: JobsStack,
  token: string,
  version: { modelId: string; version: number } | undefined,
): Promise<Detector> {
  const artifact = await json<unknown>(
    await call(
      stack.model,
      `/api/v1/models/${version?.modelId}/versions/${version?.version}/artifact`,
      token,
    ),
    200,
  );
  return loadDetector(artifact);
}

/** Uploads `csv` as the dataset `name` (201); its id. */
export async function uploadCsv(
  stack: JobsStack,
  token: string,
  name: string,
  csv: string,
): Promise<string> {
  const dataset = await json<{ id: string }>(
    await call(stack.dataset, `/api/v1/datasets?name=${encodeURIComponent(name)}`, token, {
      method: 'POST',
      body: csv,
      contentType: 'text/csv',
    }),
    201,
  );
  return dataset.id;
}

/** Creates a detector (201); its id. */
export async function addDetector(
  stack: JobsStack,
  token: string,
  detector: { name: string; algorithm: string; parameters?: Record<string, unknown> },
): Promise<string> {
  const created = await json<{ id: string }>(
    await call(stack.detector, '/api/v1/detectors', token, { method: 'POST', json: detector }),
    201,
  );
  return created.id;
}

/** A job as the API answers it (the fields the tests read). */
export interface JobView {
  id: string;
  type: 'train' | 'detect';
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  detectorId: string;
  datasetId: string;
  progress: { rows: number; totalRows: number };
  attempts: number;
  modelVersion?: { id: string; modelId: string; version: number };
  error?: { code: string; detail: string };
  result?: {
    location?: string;
    rows: number;
    anomalies?: number;
    threshold: number;
    modelVersion: { id: string; modelId: string; version: number };
  };
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls the job until it is succeeded, failed or cancelled (bounded by `withinMs`). */
export async function waitForJob(
  stack: JobsStack,
  token: string,
  jobId: string,
  withinMs = 120_000,
): Promise<JobView> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const job = await json<JobView>(
      await call(stack.detector, `/api/v1/jobs/${jobId}`, token),
      200,
    );
    if (FINAL.has(job.state)) return job;
    if (Date.now() > deadline) {
      throw new Error(
        `job ${jobId} still ${job.state} after ${withinMs} ms: ${JSON.stringify(job)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every stored score of a detect job, read through the API page by page. */
export async function allResults(
  stack: JobsStack,
  token: string,
  jobId: string,
  limit = 10_000,
): Promise<Array<{ rowIndex: number; score: number; label: number }>> {
  const rows: Array<{ rowIndex: number; score: number; label: number }> = [];
  let cursor: string | undefined;
  do {
    const page = await json<{
      items: Array<{ rowIndex: number; score: number; label: number }>;
      nextCursor?: string;
    }>(
      await call(
        stack.detector,
        `/api/v1/jobs/${jobId}/results?limit=${limit}${cursor === undefined ? '' : `&cursor=${cursor}`}`,
        token,
      ),
      200,
    );
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return rows;
}

/** The job's row, read straight from Postgres (fast enough to poll while a worker runs). */
export async function jobRow(
  stack: JobsStack,
  jobId: string,
): Promise<{
  state: string;
  progress: number;
  total: number;
  attempts: number;
  interruptions: number;
}> {
  const [row] = await sql<{
    state: string;
    progress_rows: string;
    total_rows: string;
    attempts: number;
    interruptions: number;
  }>(
    stack.database.url,
    `SELECT state, progress_rows, total_rows, attempts, interruptions FROM detector.jobs WHERE id = $1`,
    [jobId],
  );
  if (row === undefined) throw new Error(`no job ${jobId} in Postgres`);
  return {
    state: row.state,
    progress: Number(row.progress_rows),
    total: Number(row.total_rows),
    attempts: row.attempts,
    interruptions: row.interruptions,
  };
}
