import {
  ENVIRONMENTS,
  LOG_LEVELS,
  envBoolean,
  envInteger,
  loadConfig,
} from '@nomaly/platform-core';
import { z } from 'zod';
import { DEFAULT_ISTIO_DIR } from '../paths.js';
import { DEFAULT_UPSTREAMS, parseUpstreams } from './upstreams.js';

/**
 * The gateway's environment, validated once at boot (`loadConfig` of the platform: every bad
 * variable is named at once, and main exits 78).
 */
export const gatewayConfigSchema = z.object({
  SERVICE_NAME: z.string().min(1).default('gateway'),
  ENVIRONMENT: z.enum(ENVIRONMENTS).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  DEBUG: envBoolean(false),
  /** Like the services (platform config): every interface; set `127.0.0.1` for loopback only. */
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: envInteger(8080, 0, 65_535),
  /** Istio's ingress status port: `/healthz/ready` and `/stats/prometheus`. */
  STATUS_PORT: envInteger(15_021, 0, 65_535),
  /** Files or directories (their top-level `*.yaml`/`*.yml`), comma-separated. */
  ISTIO_CONFIG: z
    .string()
    .default(DEFAULT_ISTIO_DIR)
    .transform((value, ctx) => {
      const entries = value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      if (entries.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must name at least one file or directory' });
        return z.NEVER;
      }
      return entries;
    }),
  /** `name` or `namespace/name`; unset: the only Gateway in ISTIO_CONFIG. */
  GATEWAY_NAME: z
    .string()
    .regex(/^([a-z0-9-]+\/)?[a-z0-9][a-z0-9.-]*$/, 'must be name or namespace/name')
    .optional(),
  GATEWAY_UPSTREAMS: z
    .string()
    .default(DEFAULT_UPSTREAMS)
    .transform((value, ctx) => {
      try {
        return parseUpstreams(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** How long SIGTERM waits for in-flight requests before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: envInteger(10_000, 0, 3_600_000),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Throws the platform's ConfigError naming every bad variable. */
export function loadGatewayConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayConfig {
  return loadConfig(gatewayConfigSchema, env);
}
