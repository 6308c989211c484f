import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is apps/cli/{src,dist}/stack/topology.*). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** One process of the local stack, on the ports of ARCHITECTURE.md (plus `--port-offset`). */
export interface StackService {
  readonly name: string;
  /** The app folder under `apps/`. */
  readonly app: string;
  readonly httpPort: number;
  readonly grpcPort?: number;
  /** Extra port (the gateway's status port, like Istio's ingress 15021). */
  readonly statusPort?: number;
  /** Where readiness is polled. */
  readonly readyUrl: string;
  readonly baseUrl: string;
  readonly env: Record<string, string>;
}

export interface Topology {
  readonly gateway: StackService;
  readonly auth: StackService;
  readonly dataset: StackService;
  readonly model: StackService;
  readonly detector: StackService;
  /** The worker, which runs durable jobs from the Redis queues: only when REDIS_URL is set. */
  readonly worker: StackService | undefined;
  /** The web UI's server, behind the gateway at /ui. */
  readonly web: StackService;
  /** Every process of the stack, the gateway last (it starts last and stops first). */
  readonly order: readonly StackService[];
  readonly embeddedPostgresPort: number;
  /** Where `nomaly up` runs the machine's redis-server when no REDIS_URL is set. */
  readonly localRedisPort: number;
}

const HOST = '127.0.0.1';

/**
 * The local stack: the four services, the worker (when there is a Redis for its queues), the web
 * UI's server and the gateway, each on its documented port shifted by `offset` (so a second stack, or a test, can
 * run beside the first), on loopback only. `shared` is the environment every service gets
 * (database, Redis, log level).
 */
export function topology(offset: number, shared: Record<string, string>): Topology {
  const service = (
    name: string,
    httpPort: number,
    grpcPort: number,
    env: Record<string, string> = {},
  ): StackService => {
    const http = httpPort + offset;
    const grpc = grpcPort + offset;
    return {
      name,
      app: name,
      httpPort: http,
      grpcPort: grpc,
      baseUrl: `http://${HOST}:${http}`,
      readyUrl: `http://${HOST}:${http}/ready`,
      env: { ...shared, HOST, PORT: String(http), GRPC_PORT: String(grpc), ...env },
    };
  };
  const auth = service('auth-service', 8003, 50054);
  const withAuth = { AUTH_JWKS_URL: `${auth.baseUrl}/.well-known/jwks.json` };
  const dataset = service('dataset-service', 8001, 50052, withAuth);
  const model = service('model-service', 8002, 50053, withAuth);
  const detector = service('detector-service', 8000, 50051, {
    ...withAuth,
    DATASET_SERVICE_GRPC_URL: `${HOST}:${dataset.grpcPort}`,
    MODEL_SERVICE_GRPC_URL: `${HOST}:${model.grpcPort}`,
  });
  const workerPort = 8005 + offset;
  const worker: StackService | undefined =
    shared.REDIS_URL === undefined
      ? undefined
      : {
          name: 'worker',
          app: 'worker',
          httpPort: workerPort,
          baseUrl: `http://${HOST}:${workerPort}`,
          readyUrl: `http://${HOST}:${workerPort}/ready`,
          env: {
            ...shared,
            HOST,
            PORT: String(workerPort),
            DATASET_SERVICE_GRPC_URL: `${HOST}:${dataset.grpcPort}`,
            MODEL_SERVICE_GRPC_URL: `${HOST}:${model.grpcPort}`,
          },
        };
  const webPort = 8004 + offset;
  const web: StackService = {
    name: 'web',
    app: 'web',
    httpPort: webPort,
    baseUrl: `http://${HOST}:${webPort}`,
    readyUrl: `http://${HOST}:${webPort}/ready`,
    // Static files only: no database, cache or secrets.
    env: { LOG_LEVEL: shared.LOG_LEVEL ?? 'info', HOST, PORT: String(webPort) },
  };
  const gatewayPort = 8080 + offset;
  const statusPort = 15021 + offset;
  const gateway: StackService = {
    name: 'gateway',
    app: 'gateway',
    httpPort: gatewayPort,
    statusPort,
    baseUrl: `http://${HOST}:${gatewayPort}`,
    readyUrl: `http://${HOST}:${statusPort}/healthz/ready`,
    env: {
      LOG_LEVEL: shared.LOG_LEVEL ?? 'info',
      HOST,
      PORT: String(gatewayPort),
      STATUS_PORT: String(statusPort),
      ISTIO_CONFIG: join(REPO_ROOT, 'istio'),
      GATEWAY_UPSTREAMS: [auth, dataset, model, detector, web]
        .map((s) => `${s.name}=${s.baseUrl}`)
        .join(','),
    },
  };
  return {
    gateway,
    auth,
    dataset,
    model,
    detector,
    worker,
    web,
    order: [
      auth,
      dataset,
      model,
      detector,
      ...(worker === undefined ? [] : [worker]),
      web,
      gateway,
    ],
    embeddedPostgresPort: 54329 + offset,
    localRedisPort: 6390 + offset,
  };
}

/** Every port the stack listens on, for the "already in use" check before anything starts. */
export function stackPorts(t: Topology): { port: number; owner: string }[] {
  const ports: { port: number; owner: string }[] = [];
  for (const s of t.order) {
    ports.push({ port: s.httpPort, owner: s.name });
    if (s.grpcPort !== undefined) ports.push({ port: s.grpcPort, owner: `${s.name} (gRPC)` });
    if (s.statusPort !== undefined) ports.push({ port: s.statusPort, owner: `${s.name} (status)` });
  }
  return ports;
}
