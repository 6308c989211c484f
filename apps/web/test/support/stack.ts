/**
 * The whole Nomaly stack for the browser tests, reached as users reach it: the four services,
 * the worker (batch jobs), this web server, and the gateway routing by a private copy of
 * `istio/` (its virtual-service-web.yaml sends /ui to the web server, as in the cluster).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  OwnRedis,
  REPO_ROOT,
  runCli,
  startService,
  type RunningService,
  type TestDatabase,
} from '@nomaly/testing';

export interface WebStack {
  readonly gatewayUrl: string;
  readonly web: RunningService;
  /** A new tenant's admin API key (the auth-service's `create-admin`). */
  adminKey(tenant: string): Promise<string>;
  /** A call through the gateway with an access token. */
  call<T>(path: string, token: string, json?: unknown): Promise<{ status: number; body: T }>;
  token(apiKey: string): Promise<string>;
  stop(): Promise<void>;
}

const LIBERAL_RATE_LIMIT = {
  RATE_LIMIT_BURST: '100000',
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
};

export async function startWebStack(
  options: { detectorEnv?: Record<string, string> } = {},
): Promise<WebStack> {
  const database: TestDatabase = await createTestDatabase();
  // A Redis of its own: the job queues are shared by name, and another suite's worker on the
  // machine's Redis would take this stack's jobs (and find them in no database of its own).
  const redis = await OwnRedis.start();
  const istioDir = mkdtempSync(join(tmpdir(), 'nomaly-web-istio-'));
  cpSync(join(REPO_ROOT, 'istio'), istioDir, { recursive: true });
  const started: RunningService[] = [];
  const start = async (
    app: string,
    env: Record<string, string>,
    ports?: readonly string[],
  ): Promise<RunningService> => {
    const service = await startService(
      app,
      env,
      ports === undefined ? {} : { portVariables: ports },
    );
    started.push(service);
    return service;
  };
  try {
    const common = { DATABASE_URL: database.url, REDIS_URL: redis.url, ...LIBERAL_RATE_LIMIT };
    const auth = await start('auth-service', common);
    const withAuth = { ...common, AUTH_JWKS_URL: `${auth.baseUrl}/.well-known/jwks.json` };
    const [dataset, model, web] = await Promise.all([
      start('dataset-service', withAuth),
      start('model-service', withAuth),
      start('web', {}, ['PORT']),
    ]);
    const grpc = {
      DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
      MODEL_SERVICE_GRPC_URL: model.grpcAddress,
    };
    const detector = await start('detector-service', {
      ...withAuth,
      ...grpc,
      ...options.detectorEnv,
    });
    // After the detector-service, whose migrations create the job tables.
    await start('worker', { DATABASE_URL: database.url, REDIS_URL: redis.url, ...grpc }, ['PORT']);
    const gateway = await startService(
      'gateway',
      {
        ISTIO_CONFIG: istioDir,
        GATEWAY_UPSTREAMS: [
          `auth-service=${auth.baseUrl}`,
          `dataset-service=${dataset.baseUrl}`,
          `model-service=${model.baseUrl}`,
          `detector-service=${detector.baseUrl}`,
          `web=${web.baseUrl}`,
        ].join(','),
      },
      {
        portVariables: ['PORT', 'STATUS_PORT'],
        readyUrl: (env) => `http://127.0.0.1:${env.STATUS_PORT}/healthz/ready`,
      },
    );
    started.push(gateway);
    const gatewayUrl = gateway.baseUrl;
    const call = async <T>(path: string, token: string, json?: unknown) => {
      const response = await fetch(`${gatewayUrl}${path}`, {
        method: json === undefined ? 'GET' : 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    };
    return {
      gatewayUrl,
      web,
      call,
      async adminKey(tenant) {
        const created = await runCli('auth-service', auth.env, [
          'create-admin',
          '--tenant',
          tenant,
          '--json',
        ]);
        if (created.code !== 0) throw new Error(`create-admin failed: ${created.stderr}`);
        return (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
      },
      async token(apiKey) {
        const response = await fetch(`${gatewayUrl}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ apiKey }),
        });
        if (response.status !== 200)
          throw new Error(`token exchange: ${response.status} ${await response.text()}`);
        return ((await response.json()) as { accessToken: string }).accessToken;
      },
      async stop() {
        // The gateway first (no new requests), then everything behind it.
        await gateway.stop();
        await Promise.all(started.filter((s) => s !== gateway).map((s) => s.stop()));
        await redis.dispose();
        await database.drop();
        rmSync(istioDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.stop()));
    await redis.dispose();
    await database.drop();
    rmSync(istioDir, { recursive: true, force: true });
    throw error;
  }
}
