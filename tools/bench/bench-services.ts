/**
 * The services the benchmarks drive, each a real process as in production: auth (tokens),
 * dataset and model (the gRPC peers) and the detector-service, on a fresh database and the
 * machine's Redis, with rate limits out of the way and logs at `warn`.
 */
import {
  createTestDatabase,
  startAuthService,
  startService,
  TEST_REDIS_URL,
  type AuthFixture,
  type RunningService,
  type TestDatabase,
} from '@nomaly/testing';

export interface BenchServices {
  readonly auth: AuthFixture;
  readonly database: TestDatabase;
  readonly dataset: RunningService;
  readonly model: RunningService;
  readonly detector: RunningService;
  /** The detector-service's gRPC peers, for another process (the worker) that needs them. */
  readonly upstreams: { DATASET_SERVICE_GRPC_URL: string; MODEL_SERVICE_GRPC_URL: string };
  /** Stops the services and the auth-service, then drops the database. */
  stop(): Promise<void>;
}

export async function startBenchServices(
  options: { env?: Record<string, string>; detectorEnv?: Record<string, string> } = {},
): Promise<BenchServices> {
  const auth = await startAuthService();
  const database = await createTestDatabase();
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    AUTH_JWKS_URL: auth.jwksUrl,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    ...options.env,
  };
  const [dataset, model] = await Promise.all([
    startService('dataset-service', common),
    startService('model-service', common),
  ]);
  const upstreams = {
    DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
    MODEL_SERVICE_GRPC_URL: model.grpcAddress,
  };
  const detector = await startService('detector-service', {
    ...common,
    ...upstreams,
    ...options.detectorEnv,
  });
  return {
    auth,
    database,
    dataset,
    model,
    detector,
    upstreams,
    async stop() {
      await Promise.all([detector.stop(), dataset.stop(), model.stop()]);
      await auth.stop();
      await database.drop();
    },
  };
}
