import { jobQueueEnvShape } from '@nomaly/jobs';
import { envInteger, loadConfig, serviceConfigSchema } from '@nomaly/platform-core';
import { z } from 'zod';

export const DETECTOR_SERVICE_DEFAULTS = {
  serviceName: 'detector-service',
  httpPort: 8000,
  grpcPort: 50051,
} as const;

const grpcAddress = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
    .default(fallback);

/** The detector-service's variables on top of the platform's. */
export const detectorConfigSchema = serviceConfigSchema(DETECTOR_SERVICE_DEFAULTS, {
  /** gRPC address of the dataset-service (rows for training). */
  DATASET_SERVICE_GRPC_URL: grpcAddress('127.0.0.1:50052'),
  /** gRPC address of the model-service (versions to save and load). */
  MODEL_SERVICE_GRPC_URL: grpcAddress('127.0.0.1:50053'),
  /** Datasets up to this many rows train within the request; larger ones become a job (202). */
  SYNC_TRAIN_MAX_ROWS: envInteger(50_000, 1, 10_000_000),
  /**
   * Rows per result chunk of a detect job (fixed per job when it is accepted): the unit a worker
   * scores on a thread, writes in one transaction, and resumes from after a restart.
   */
  JOB_CHUNK_ROWS: envInteger(10_000, 100, 1_000_000),
  ...jobQueueEnvShape,
  /** Bound on the in-process cache of loaded models, in megabytes of model document. */
  MODEL_CACHE_MAX_MB: envInteger(256, 1, 65_536),
  /** How long a resolved alias (champion) is trusted before asking the model-service again. */
  MODEL_ALIAS_TTL_SECONDS: envInteger(30, 1, 3_600),
  /** The `region` label of the detection metrics (one per deployment, e.g. `eu-west-1`). */
  REGION: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or dashes')
    .default('local'),
});

export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

export function loadDetectorConfig(
  env?: Readonly<Record<string, string | undefined>>,
): DetectorConfig {
  return loadConfig(detectorConfigSchema, env);
}
