import { hostname } from 'node:os';
import { EDGE_UPLOAD_MAX_RESULTS } from '@nomaly/edge-runtime';
import {
  ENVIRONMENTS,
  LOG_LEVELS,
  envBoolean,
  envInteger,
  envPositiveNumber,
  envUrl,
  loadConfig,
} from '@nomaly/platform-core';
import { z } from 'zod';

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The host name as an agent id: what a container or a device is called, made safe. */
function defaultAgentId(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._:-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return name === '' ? 'edge-agent' : name;
}

/**
 * The edge agent's environment, validated once at boot (every bad variable named at once; main
 * exits 78). The deployment guide's names: EDGE_MODE, CENTRAL_API_URL, SYNC_INTERVAL.
 */
export const edgeConfigSchema = z.object({
  SERVICE_NAME: z.string().min(1).default('edge-agent'),
  ENVIRONMENT: z.enum(ENVIRONMENTS).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  DEBUG: envBoolean(false),
  /** Must be true: the same image runs central services, and only EDGE_MODE=true runs this. */
  EDGE_MODE: envBoolean(false).refine((value) => value, {
    message: 'must be true to run the edge agent (EDGE_MODE=true)',
  }),
  /** The central public API (the Istio ingress, or the local gateway). */
  CENTRAL_API_URL: envUrl(['http:', 'https:']).refine((value) => value !== undefined, {
    message: 'is required: the central API the agent syncs models from and uploads to',
  }),
  /** An API key of the tenant with the `analyst` role (reads models, uploads results). */
  EDGE_API_KEY: z
    .string({ message: 'is required: an API key with the analyst role' })
    .regex(/^\S{8,512}$/, 'must be an API key (8-512 characters, no spaces)'),
  /** Seconds between model syncs; also the longest wait between upload attempts. */
  SYNC_INTERVAL: envInteger(60, 1, 86_400),
  /** Where models are cached and results buffered; must survive restarts (a volume). */
  EDGE_DATA_DIR: z.string().min(1).default('.nomaly/edge'),
  /** Names this agent's uploads (`agentId`); the host name by default. */
  EDGE_AGENT_ID: z
    .string()
    .regex(AGENT_ID, 'must be 1-128 letters, digits, dots, dashes, underscores or colons')
    .default(defaultAgentId),
  /** Bound on the result buffer on disk: when full, detects answer 503 with Retry-After. */
  EDGE_BUFFER_MAX_MB: envPositiveNumber(256, 1_048_576),
  /** Results per upload; central takes at most EDGE_UPLOAD_MAX_RESULTS. */
  EDGE_UPLOAD_BATCH_RESULTS: envInteger(500, 1, EDGE_UPLOAD_MAX_RESULTS),
  /** Bound on each call to central, body included. */
  CENTRAL_TIMEOUT_MS: envInteger(30_000, 100, 600_000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: envInteger(8006, 0, 65_535),
  MAX_REQUEST_SIZE_MB: envPositiveNumber(100, 10_240),
  /** Rows per detect call, and per upload in all (central's bound too). */
  MAX_DETECTION_BATCH_SIZE: envInteger(10_000, 1, 10_000_000),
  SHUTDOWN_TIMEOUT_MS: envInteger(10_000, 0, 600_000),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

/** Throws the platform's ConfigError naming every bad variable. */
export function loadEdgeConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): EdgeConfig {
  return loadConfig(edgeConfigSchema, env);
}
