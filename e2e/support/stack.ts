/**
 * The whole Nomaly stack as real processes, reached through the local gateway exactly as users
 * reach it through the Istio ingress: auth, dataset, model and detector services on one test
 * database (each in its own schema, as in production) and a Redis, a second detector-service
 * instance as the `canary` subset, the worker when a suite runs jobs, and the gateway routing by
 * a private copy of `istio/` (so a test may rewrite the YAML without touching the repository).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  OwnRedis,
  REPO_ROOT,
  runCli,
  sql,
  startService,
  TEST_REDIS_URL,
  type RunningService,
  type TestDatabase,
} from '@nomaly/testing';

export type ServiceName =
  'auth-service' | 'dataset-service' | 'model-service' | 'detector-service' | 'detector-canary';

export interface StackOptions {
  /**
   * Redis for every service. Default: the machine's, or with `worker` one of the stack's own —
   * the job queues are shared by name, and another suite's worker on the machine's Redis would
   * take this stack's jobs (and find them in no database of its own).
   */
  redisUrl?: string;
  /** Extra environment per service, over the stack's defaults. */
  env?: Partial<Record<ServiceName | 'gateway' | 'worker', Record<string, string>>>;
  /** Start the second detector-service instance serving the `canary` subset (default true). */
  canary?: boolean;
  /** Start the worker, which runs durable jobs (large trainings, batch detection; default false). */
  worker?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface Tenant {
  tenantId: string;
  apiKey: string;
  /** An access token for the tenant's admin key, exchanged through the gateway. */
  token: string;
}

export interface Stack {
  readonly gatewayUrl: string;
  readonly gateway: RunningService;
  readonly database: TestDatabase;
  /** The folder the gateway routes by: a copy of the repository's `istio/`. */
  readonly istioDir: string;
  readonly services: Record<ServiceName, RunningService>;
  /** The worker, with `worker: true` (it serves no routes through the gateway). */
  readonly worker: RunningService | undefined;
  /** A new tenant with an admin API key (the auth-service's `create-admin`). */
  tenant(name: string): Promise<Tenant>;
  /** A call through the gateway; JSON bodies are encoded, JSON answers decoded. */
  call<T = unknown>(
    path: string,
    init?: {
      method?: string;
      token?: string;
      json?: unknown;
      headers?: Record<string, string>;
      body?: NonNullable<RequestInit['body']>;
    },
  ): Promise<ApiResponse<T>>;
  /** `count(*)` of every table of every service schema, keyed `schema.table`. */
  rowCounts(): Promise<Record<string, number>>;
  /** The names of the processes that are no longer running. */
  exited(): string[];
  /** Starts a stopped or killed service again on the same ports and environment. */
  restart(name: ServiceName): Promise<RunningService>;
  stop(): Promise<void>;
}

const SCHEMAS = ['auth', 'dataset', 'model', 'detector'];
const LIBERAL_RATE_LIMIT = {
  RATE_LIMIT_BURST: '100000',
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
};

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase();
  const redis =
    options.redisUrl === undefined && options.worker === true ? await OwnRedis.start() : undefined;
  const istioDir = mkdtempSync(join(tmpdir(), 'nomaly-istio-'));
  cpSync(join(REPO_ROOT, 'istio'), istioDir, { recursive: true });
  const started: RunningService[] = [];
  const services = {} as Record<ServiceName, RunningService>;
  const envOf = (name: ServiceName | 'gateway' | 'worker') => options.env?.[name] ?? {};
  const start = async (
    name: ServiceName,
    app: string,
    env: Record<string, string>,
  ): Promise<RunningService> => {
    const service = await startService(app, { ...env, ...envOf(name) });
    started.push(service);
    services[name] = service;
    return service;
  };
  try {
    const common = {
      DATABASE_URL: database.url,
      REDIS_URL: options.redisUrl ?? redis?.url ?? TEST_REDIS_URL,
      ...LIBERAL_RATE_LIMIT,
    };
    const auth = await start('auth-service', 'auth-service', common);
    const withAuth = { ...common, AUTH_JWKS_URL: `${auth.baseUrl}/.well-known/jwks.json` };
    const [dataset, model] = await Promise.all([
      start('dataset-service', 'dataset-service', withAuth),
      start('model-service', 'model-service', withAuth),
    ]);
    const detectorEnv = {
      ...withAuth,
      DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
      MODEL_SERVICE_GRPC_URL: model.grpcAddress,
    };
    const detector = await start('detector-service', 'detector-service', detectorEnv);
    // After the detector-service, whose migrations create the job tables the worker uses.
    let worker: RunningService | undefined;
    if (options.worker === true) {
      worker = await startService(
        'worker',
        {
          DATABASE_URL: database.url,
          REDIS_URL: common.REDIS_URL,
          DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
          MODEL_SERVICE_GRPC_URL: model.grpcAddress,
          ...envOf('worker'),
        },
        { portVariables: ['PORT'] },
      );
      started.push(worker);
    }
    const upstreams = [
      `auth-service=${auth.baseUrl}`,
      `dataset-service=${dataset.baseUrl}`,
      `model-service=${model.baseUrl}`,
      `detector-service=${detector.baseUrl}`,
    ];
    if (options.canary ?? true) {
      const canary = await start('detector-canary', 'detector-service', detectorEnv);
      upstreams.push(
        `detector-service/stable=${detector.baseUrl}`,
        `detector-service/canary=${canary.baseUrl}`,
      );
    }
    const gateway = await startService(
      'gateway',
      { ISTIO_CONFIG: istioDir, GATEWAY_UPSTREAMS: upstreams.join(','), ...envOf('gateway') },
      {
        portVariables: ['PORT', 'STATUS_PORT'],
        readyUrl: (env) => `http://127.0.0.1:${env.STATUS_PORT}/healthz/ready`,
      },
    );
    started.push(gateway);
    return assemble(database, redis, istioDir, gateway, services, worker, started);
  } catch (error) {
    await Promise.all(started.map((service) => service.stop()));
    await redis?.dispose();
    await database.drop();
    rmSync(istioDir, { recursive: true, force: true });
    throw error;
  }
}

function assemble(
  database: TestDatabase,
  redis: OwnRedis | undefined,
  istioDir: string,
  gateway: RunningService,
  services: Record<ServiceName, RunningService>,
  worker: RunningService | undefined,
  started: RunningService[],
): Stack {
  const gatewayUrl = gateway.baseUrl;
  const call: Stack['call'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${gatewayUrl}${path}`, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body: body ?? null,
    });
    const text = await response.text();
    let parsed: unknown = text;
    if (/json/.test(response.headers.get('content-type') ?? '') && text !== '') {
      parsed = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: parsed as never, text };
  };
  return {
    gatewayUrl,
    gateway,
    database,
    istioDir,
    services,
    worker,
    call,
    async tenant(name) {
      const created = await runCli('auth-service', services['auth-service'].env, [
        'create-admin',
        '--tenant',
        name,
        '--json',
      ]);
      if (created.code !== 0) throw new Error(`create-admin failed: ${created.stderr}`);
      const { apiKey, tenantId } = JSON.parse(created.stdout) as {
        apiKey: string;
        tenantId: string;
      };
      const exchanged = await call<{ accessToken: string }>('/api/v1/auth/token', {
        json: { apiKey },
      });
      if (exchanged.status !== 200) {
        throw new Error(`token exchange failed: ${exchanged.status} ${exchanged.text}`);
      }
      return { tenantId, apiKey, token: exchanged.body.accessToken };
    },
    async rowCounts() {
      const tables = await sql<{ schema: string; name: string }>(
        database.url,
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
        [SCHEMAS],
      );
      const counts: Record<string, number> = {};
      for (const { schema, name } of tables) {
        const [row] = await sql<{ n: string }>(
          database.url,
          `SELECT count(*) AS n FROM "${schema}"."${name}"`,
        );
        counts[`${schema}.${name}`] = Number(row?.n);
      }
      return counts;
    },
    exited() {
      const names = Object.entries(services)
        .filter(
          ([, service]) => service.process.exitCode !== null || service.process.signalCode !== null,
        )
        .map(([name]) => name);
      if (gateway.process.exitCode !== null || gateway.process.signalCode !== null) {
        names.push('gateway');
      }
      if (
        worker !== undefined &&
        (worker.process.exitCode !== null || worker.process.signalCode !== null)
      ) {
        names.push('worker');
      }
      return names;
    },
    async restart(name) {
      const previous = services[name];
      const app = name === 'detector-canary' ? 'detector-service' : name;
      const service = await startService(app, previous.env);
      started[started.indexOf(previous)] = service;
      services[name] = service;
      return service;
    },
    async stop() {
      await gateway.stop();
      await worker?.stop();
      await Promise.all(Object.values(services).map((service) => service.stop()));
      await redis?.dispose();
      await database.drop();
      rmSync(istioDir, { recursive: true, force: true });
    },
  };
}
