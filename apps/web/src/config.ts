import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ENVIRONMENTS,
  LOG_LEVELS,
  envBoolean,
  envInteger,
  loadConfig,
} from '@nomaly/platform-core';
import { z } from 'zod';

/** The built browser app, beside this file in dist/ (`nx run web:build` writes it). */
export const DEFAULT_ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui');

/**
 * The web server's environment, validated once at boot with the platform's `loadConfig`: every
 * bad variable is named at once and main exits 78.
 */
export const webConfigSchema = z.object({
  SERVICE_NAME: z.string().min(1).default('web'),
  ENVIRONMENT: z.enum(ENVIRONMENTS).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  DEBUG: envBoolean(false),
  /** Like the services: every interface; `127.0.0.1` for loopback only. */
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: envInteger(8004, 0, 65_535),
  /** The built UI (index.html and assets/); default dist/ui beside the server. */
  WEB_ASSETS_DIR: z.string().min(1).default(DEFAULT_ASSETS_DIR),
  /** How long SIGTERM waits for in-flight requests before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: envInteger(10_000, 0, 3_600_000),
});

export type WebConfig = z.infer<typeof webConfigSchema>;

/** Throws the platform's ConfigError naming every bad variable. */
export function loadWebConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WebConfig {
  return loadConfig(webConfigSchema, env);
}
