/**
 * The services a detector needs, each a real process: auth (tokens), dataset and model (gRPC
 * peers) and the detector-service itself, all on one test database (each in its own schema, as
 * in production) and the machine's Redis.
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

export { call } from '@nomaly/testing';

export interface Stack {
  readonly auth: AuthFixture;
  readonly database: TestDatabase;
  readonly dataset: RunningService;
  readonly model: RunningService;
  readonly detector: RunningService;
  stop(): Promise<void>;
}

export async function startStack(detectorEnv: Record<string, string> = {}): Promise<Stack> {
  const auth = await startAuthService();
  const database = await createTestDatabase();
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    AUTH_JWKS_URL: auth.jwksUrl,
  };
  const [dataset, model] = await Promise.all([
    startService('dataset-service', common),
    startService('model-service', common),
  ]);
  const detector = await startService('detector-service', {
    ...common,
    DATASET_SERVICE_GRPC_URL: dataset.grpcAddress,
    MODEL_SERVICE_GRPC_URL: model.grpcAddress,
    ...detectorEnv,
  });
  return {
    auth,
    database,
    dataset,
    model,
    detector,
    async stop() {
      await Promise.all([detector.stop(), dataset.stop(), model.stop()]);
      await auth.stop();
      await database.drop();
    },
  };
}
