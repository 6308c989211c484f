import { envInteger, loadConfig, secretKey, serviceConfigSchema } from '@nomaly/platform-core';
import { z } from 'zod';

export const AUTH_SERVICE_DEFAULTS = {
  serviceName: 'auth-service',
  httpPort: 8003,
  grpcPort: 50054,
} as const;

/** The auth-service's variables on top of the platform's. */
export const authConfigSchema = serviceConfigSchema(AUTH_SERVICE_DEFAULTS, {
  /** Seals signing keys at rest; falls back to `SECRET_KEY` (required in production). */
  API_KEYS_ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((value) => value === undefined || value.length >= 32, {
      message: 'must be at least 32 characters',
    }),
  /** Access tokens are short-lived: a revoked API key stops working within this bound. */
  ACCESS_TOKEN_TTL_SECONDS: envInteger(900, 60, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: envInteger(14 * 86_400, 3_600, 90 * 86_400),
  /** A new signing key is made when the newest is older than this; the old one stays published. */
  SIGNING_KEY_ROTATION_DAYS: envInteger(30, 1, 365),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

export function loadAuthConfig(env?: Readonly<Record<string, string | undefined>>): AuthConfig {
  return loadConfig(authConfigSchema, env);
}

/** The master secret that seals private signing keys. */
export function encryptionSecret(config: AuthConfig): string {
  return config.API_KEYS_ENCRYPTION_KEY ?? secretKey(config);
}
