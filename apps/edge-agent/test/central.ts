/**
 * The central side of the edge tests, as real processes: auth, dataset, model and detector
 * services on one test database and the machine's Redis, behind the local gateway (the agent
 * knows central only by CENTRAL_API_URL, as in production). It can be stopped and started again
 * on the same ports, and it prepares a tenant with a trained detector whose model has a champion.
 */
import { join } from 'node:path';
import { Random } from '@nomaly/detection-core';
import {
  createTestDatabase,
  REPO_ROOT,
  runCli,
  startService,
  TEST_REDIS_URL,
  type RunningService,
  type StartOptions,
  type TestDatabase,
} from '@nomaly/testing';

export const FEATURES = ['f0', 'f1', 'f2', 'f3'];

/** Seeded rows: mostly normal, a few far out. */
export function sampleRows(n: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) =>
    FEATURES.map(() => (i % 40 === 0 ? random.between(-7, 7) : random.normal())),
  );
}

export interface Trained {
  readonly tenantId: string;
  /** An admin token (to promote versions and read results). */
  readonly adminToken: string;
  /** An API key with the analyst role: what an edge agent is given. */
  readonly analystKey: string;
  readonly detectorId: string;
  readonly modelId: string;
  readonly datasetId: string;
}

interface Part {
  readonly app: string;
  service: RunningService;
  readonly options: StartOptions;
}

export class Central {
  private constructor(
    readonly database: TestDatabase,
    private readonly parts: Record<'auth' | 'dataset' | 'model' | 'detector' | 'gateway', Part>,
  ) {}

  static async start(): Promise<Central> {
    const database = await createTestDatabase();
    const started: RunningService[] = [];
    try {
      const common = {
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        RATE_LIMIT_BURST: '100000',
        RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
      };
      const auth = await startService('auth-service', common);
      started.push(auth);
      const withAuth = { ...common, AUTH_JWKS_URL: `${auth.baseUrl}/.well-known/jwks.json` };
      const [dataset, model] = await Promise.all([
        startService('dataset-service', withAuth),
        startService('model-service', withAuth),
      ]);
      started.push(dataset, model);
      const detector = await startService('detector-service', {
        ...withAuth,
        DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
        MODEL_SERVICE_GRPC_URL: model.grpcAddress,
      });
      started.push(detector);
      const gatewayOptions: StartOptions = {
        portVariables: ['PORT', 'STATUS_PORT'],
        readyUrl: (env) => `http://127.0.0.1:${env.STATUS_PORT}/healthz/ready`,
      };
      const gateway = await startService(
        'gateway',
        {
          ISTIO_CONFIG: join(REPO_ROOT, 'istio'),
          GATEWAY_UPSTREAMS: [
            `auth-service=${auth.baseUrl}`,
            `dataset-service=${dataset.baseUrl}`,
            `model-service=${model.baseUrl}`,
            `detector-service=${detector.baseUrl}`,
          ].join(','),
        },
        gatewayOptions,
      );
      started.push(gateway);
      return new Central(database, {
        auth: { app: 'auth-service', service: auth, options: {} },
        dataset: { app: 'dataset-service', service: dataset, options: {} },
        model: { app: 'model-service', service: model, options: {} },
        detector: { app: 'detector-service', service: detector, options: {} },
        gateway: { app: 'gateway', service: gateway, options: gatewayOptions },
      });
    } catch (error) {
      await Promise.all(started.map((service) => service.stop()));
      await database.drop();
      throw error;
    }
  }

  /** `CENTRAL_API_URL`: the gateway. */
  get url(): string {
    return this.parts.gateway.service.baseUrl;
  }

  get auth(): RunningService {
    return this.parts.auth.service;
  }

  /** Stops every central process: nothing answers at CENTRAL_API_URL any more. */
  async stopAll(): Promise<void> {
    await Promise.all(Object.values(this.parts).map((part) => part.service.stop()));
  }

  /** Starts every central process again on the same ports, with the same database. */
  async startAll(): Promise<void> {
    const order: Array<keyof Central['parts']> = [
      'auth',
      'dataset',
      'model',
      'detector',
      'gateway',
    ];
    for (const name of order) {
      const part = this.parts[name];
      part.service = await startService(part.app, part.service.env, part.options);
    }
  }

  async stop(): Promise<void> {
    await this.stopAll();
    await this.database.drop();
  }

  /** A JSON call through the gateway. */
  async call<T>(
    path: string,
    token: string,
    init: { method?: string; json?: unknown; body?: string; contentType?: string } = {},
  ): Promise<{ status: number; body: T; text: string; headers: Headers }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.contentType !== undefined) {
      headers['Content-Type'] = init.contentType;
    }
    const response = await fetch(`${this.url}${path}`, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body: body ?? null,
    });
    const text = await response.text();
    const parsed: unknown = /json/.test(response.headers.get('content-type') ?? '')
      ? JSON.parse(text)
      : text;
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  }

  async exchange(apiKey: string): Promise<string> {
    const response = await fetch(`${this.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    if (response.status !== 200) throw new Error(`token exchange: ${response.status}`);
    return ((await response.json()) as { accessToken: string }).accessToken;
  }

  /**
   * A tenant with an analyst API key, a dataset, and an isolation forest trained on it whose
   * version 1 is the champion: what `GET /api/v1/models/edge` then lists.
   */
  async trainedTenant(tenant: string): Promise<Trained> {
    const created = await runCli('auth-service', this.auth.env, [
      'create-admin',
      '--tenant',
      tenant,
      '--json',
    ]);
    if (created.code !== 0) throw new Error(`create-admin failed: ${created.stderr}`);
    const admin = JSON.parse(created.stdout) as { apiKey: string; tenantId: string };
    const adminToken = await this.exchange(admin.apiKey);
    const key = await this.call<{ key: string }>('/api/v1/auth/api-keys', adminToken, {
      json: { name: 'edge agent', roles: ['analyst'] },
    });
    expectStatus(key, 201);
    const csv = [FEATURES.join(','), ...sampleRows(600, 5).map((row) => row.join(','))].join('\n');
    const dataset = await this.call<{ id: string }>(
      `/api/v1/datasets?name=edge-training`,
      adminToken,
      { body: `${csv}\n`, contentType: 'text/csv' },
    );
    expectStatus(dataset, 201);
    const detector = await this.call<{ id: string }>('/api/v1/detectors', adminToken, {
      json: { name: 'edge forest', algorithm: 'iforest', parameters: { nEstimators: 50 } },
    });
    expectStatus(detector, 201);
    const modelId = await this.train(adminToken, detector.body.id, dataset.body.id, 1);
    return {
      tenantId: admin.tenantId,
      adminToken,
      analystKey: key.body.key,
      detectorId: detector.body.id,
      modelId,
      datasetId: dataset.body.id,
    };
  }

  /** Trains the detector again and makes the new version the champion; its model id. */
  async train(token: string, detectorId: string, datasetId: string, seed: number): Promise<string> {
    const trained = await this.call<{ modelVersion: { modelId: string; version: number } }>(
      `/api/v1/detectors/${detectorId}/train`,
      token,
      { json: { datasetId, seed } },
    );
    expectStatus(trained, 200);
    const { modelId, version } = trained.body.modelVersion;
    expectStatus(
      await this.call(`/api/v1/models/${modelId}/promote`, token, {
        json: { version, alias: 'champion' },
      }),
      200,
    );
    return modelId;
  }
}

function expectStatus(response: { status: number; text: string }, status: number): void {
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
  }
}
