import { envInteger, loadConfig, serviceConfigSchema } from '@nomaly/platform-core';
import type { z } from 'zod';

export const DATASET_SERVICE_DEFAULTS = {
  serviceName: 'dataset-service',
  httpPort: 8001,
  grpcPort: 50052,
} as const;

/** The dataset-service's variables on top of the platform's (`MAX_REQUEST_SIZE_MB` bounds bytes). */
export const datasetConfigSchema = serviceConfigSchema(DATASET_SERVICE_DEFAULTS, {
  /** Most data rows in one upload (the header not counted). */
  MAX_DATASET_ROWS: envInteger(1_000_000, 1, 100_000_000),
  /** Most columns in one upload. */
  MAX_DATASET_COLUMNS: envInteger(1_000, 1, 100_000),
  /** Most rows `GET /api/v1/datasets/{id}/sample` answers with. */
  MAX_SAMPLE_ROWS: envInteger(1_000, 1, 100_000),
});

export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

export function loadDatasetConfig(
  env?: Readonly<Record<string, string | undefined>>,
): DatasetConfig {
  return loadConfig(datasetConfigSchema, env);
}
