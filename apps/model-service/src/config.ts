import { envInteger, loadConfig, serviceConfigSchema } from '@nomaly/platform-core';
import type { z } from 'zod';

export const MODEL_SERVICE_DEFAULTS = {
  serviceName: 'model-service',
  httpPort: 8002,
  grpcPort: 50053,
} as const;

/** The model-service's variables on top of the platform's. */
export const modelConfigSchema = serviceConfigSchema(MODEL_SERVICE_DEFAULTS, {
  /**
   * Bound of the in-process cache of verified artifacts, in MiB. Artifacts never change once
   * published, so a cached copy is always current; the bound keeps a replica's memory in check.
   */
  MODEL_ARTIFACT_CACHE_MB: envInteger(256, 0, 65_536),
  /**
   * How long an alias resolution stays in Redis. Promotion and rollback delete the entry, so the
   * TTL only bounds staleness when another replica's invalidation could not reach Redis.
   */
  MODEL_ALIAS_CACHE_TTL_SECONDS: envInteger(30, 1, 3_600),
});

export type ModelConfig = z.infer<typeof modelConfigSchema>;

export function loadModelConfig(env?: Readonly<Record<string, string | undefined>>): ModelConfig {
  return loadConfig(modelConfigSchema, env);
}
