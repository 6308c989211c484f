import { z } from 'zod';

/**
 * Service configuration: the environment variables of ARCHITECTURE.md, validated once at boot
 * and read nowhere else. A missing or malformed value stops the service with a message that
 * names every offending variable at once; secrets never appear in a dump.
 */

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The development-only fallback for `SECRET_KEY`, so `npm start` works with no set-up. Refused
 * in staging and production, where a real secret must be configured.
 */
export const DEVELOPMENT_SECRET = 'nomaly-development-secret-never-use-in-production';

export interface ServiceDefaults {
  /** `SERVICE_NAME` default, e.g. `auth-service`. */
  readonly serviceName: string;
  readonly httpPort: number;
  readonly grpcPort: number;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean variable: `true/false`, `1/0`, `yes/no`, `on/off` (any case). */
export const envBoolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const normalized = value.trim().toLowerCase();
      if (TRUE.has(normalized)) return true;
      if (FALSE.has(normalized)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${value}"` });
      return z.NEVER;
    });

/** An integer variable within [min, max]. */
export const envInteger = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const parsed = Number(value.trim());
      if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
        ctx.addIssue({ code: 'custom', message: `must be an integer, got "${value}"` });
        return z.NEVER;
      }
      if (parsed < min || parsed > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be between ${min} and ${max}, got ${parsed}`,
        });
        return z.NEVER;
      }
      return parsed;
    });

/** A positive decimal variable (e.g. megabytes). */
export const envPositiveNumber = (fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const parsed = Number(value.trim());
      if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0 || parsed > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a number in (0, ${max}], got "${value}"`,
        });
        return z.NEVER;
      }
      return parsed;
    });

/** A URL variable restricted to the given schemes (`postgres:`, `redis:`, …). */
export const envUrl = (protocols: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a URL' });
        return z.NEVER;
      }
      if (!protocols.includes(url.protocol)) {
        ctx.addIssue({
          code: 'custom',
          message: `must use ${protocols.map((p) => p.replace(/:$/, '://')).join(' or ')}, got ${url.protocol.replace(/:$/, '://')}`,
        });
        return z.NEVER;
      }
      return value;
    });

/** `CORS_ORIGINS`: a comma-separated list of origins (`https://app.example.com`) or `*`. */
const corsOrigins = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return [] as string[];
    const origins = value
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
    for (const origin of origins) {
      if (origin === '*') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || parsed.origin !== origin) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`,
        });
        return z.NEVER;
      }
    }
    return origins;
  });

const secret = (minLength: number) =>
  z
    .string()
    .optional()
    .refine((value) => value === undefined || value.length >= minLength, {
      message: `must be at least ${minLength} characters`,
    });

/** The variables every service reads (ARCHITECTURE.md "Configuration"). */
export function platformEnvShape(defaults: ServiceDefaults) {
  return {
    SERVICE_NAME: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
      .default(defaults.serviceName),
    ENVIRONMENT: z.enum(ENVIRONMENTS).default('development'),
    LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
    /** Debug-level logs when `LOG_LEVEL` is not set. Never turns on stack traces in responses. */
    DEBUG: envBoolean(false),
    /** Address the HTTP and gRPC servers bind; `0.0.0.0` in a pod, `127.0.0.1` on a laptop. */
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: envInteger(defaults.httpPort, 0, 65_535),
    GRPC_PORT: envInteger(defaults.grpcPort, 0, 65_535),
    DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
    DATABASE_POOL_SIZE: envInteger(10, 1, 500),
    DATABASE_CONNECT_TIMEOUT_MS: envInteger(5_000, 100, 120_000),
    DATABASE_STATEMENT_TIMEOUT_MS: envInteger(30_000, 100, 3_600_000),
    /** Where the embedded Postgres keeps its data when `DATABASE_URL` is unset. */
    EMBEDDED_POSTGRES_DIR: z.string().min(1).default('.nomaly/postgres'),
    EMBEDDED_POSTGRES_PORT: envInteger(54_329, 1, 65_535),
    REDIS_URL: envUrl(['redis:', 'rediss:']),
    SECRET_KEY: secret(32),
    CORS_ORIGINS: corsOrigins,
    RATE_LIMIT_REQUESTS_PER_MINUTE: envInteger(600, 1, 1_000_000),
    RATE_LIMIT_BURST: envInteger(100, 1, 1_000_000),
    MAX_REQUEST_SIZE_MB: envPositiveNumber(100, 10_240),
    /**
     * Proxies in front of the service that append to `X-Forwarded-For` (the Istio ingress, or
     * the local gateway): the client address, which per-address rate limits key on, is that many
     * entries from the right. 0 when clients connect directly.
     */
    TRUSTED_PROXY_HOPS: envInteger(1, 0, 10),
    MAX_DETECTION_BATCH_SIZE: envInteger(10_000, 1, 10_000_000),
    RESILIENCE_ENABLED: envBoolean(true),
    CIRCUIT_BREAKER_ENABLED: envBoolean(true),
    OTEL_EXPORTER_OTLP_ENDPOINT: envUrl(['http:', 'https:']),
    SENTRY_DSN: envUrl(['http:', 'https:']),
    /** Where services fetch the auth-service's signing keys. */
    AUTH_JWKS_URL: envUrl(['http:', 'https:']),
    AUTH_ISSUER: z.string().min(1).default('nomaly-auth'),
    AUTH_AUDIENCE: z.string().min(1).default('nomaly-api'),
    /** Bound on graceful shutdown: in-flight work gets this long before the process exits. */
    SHUTDOWN_TIMEOUT_MS: envInteger(10_000, 0, 600_000),
  };
}

type PlatformShape = ReturnType<typeof platformEnvShape>;

/**
 * One service's schema: the platform variables plus its own. Cross-variable rules (what
 * staging and production require) are checked here so every service gets them.
 */
export function serviceConfigSchema<Extra extends z.ZodRawShape = Record<never, never>>(
  defaults: ServiceDefaults,
  extra?: Extra,
) {
  return z.object({ ...platformEnvShape(defaults), ...(extra ?? ({} as Extra)) }).superRefine(
    (config, ctx) => {
      const c = config as z.infer<z.ZodObject<PlatformShape>>;
      if (c.ENVIRONMENT !== 'staging' && c.ENVIRONMENT !== 'production') return;
      if (c.SECRET_KEY === undefined || c.SECRET_KEY === DEVELOPMENT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['SECRET_KEY'],
          message: `is required in ${c.ENVIRONMENT} (at least 32 random characters)`,
        });
      }
      if (c.DATABASE_URL === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: `is required in ${c.ENVIRONMENT} (the embedded Postgres is for development)`,
        });
      }
      // Run even when other variables are malformed, so one boot reports every problem.
    },
    { when: () => true },
  );
}

export type PlatformConfig = z.infer<z.ZodObject<PlatformShape>>;

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** Boot-time configuration failure, listing every problem so one restart fixes them all. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses the environment with a service schema. Empty values count as unset (a `FOO=` line in
 * an env file means "no value"), unknown variables are ignored (the environment holds much
 * more than ours). Throws {@link ConfigError}.
 */
export function loadConfig<Schema extends z.ZodType<object>>(
  schema: Schema,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<Schema> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') present[name] = value;
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: issue.message.replace(/^Invalid input: /, ''),
    })),
  );
}

const SECRET_NAME = /(SECRET|PASSWORD|_KEY$|_TOKEN$|DSN)/;

/**
 * Whether a variable holds a secret by its name (`SECRET_KEY`, `API_KEYS_ENCRYPTION_KEY`,
 * `SENTRY_DSN`, `…_TOKEN`), not settings that merely mention one (`ACCESS_TOKEN_TTL_SECONDS`).
 */
export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * A copy safe to log or show on `/status`: secrets become `"****"` (or absent stays absent),
 * and credentials inside URLs (`postgres://user:pass@…`) are masked.
 */
export function maskConfig(config: object): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (isSecretVariable(name)) {
      masked[name] = value === undefined ? undefined : '****';
    } else if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      masked[name] = maskUrl(value);
    } else {
      masked[name] = value;
    }
  }
  return masked;
}

/** `postgres://user:secret@host/db` → `postgres://user:****@host/db`. */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '****';
    return url.toString();
  } catch {
    return value;
  }
}

/**
 * The log level to use: `LOG_LEVEL`, else `debug` when `DEBUG`, else `info` — for the services
 * and for every other process with those two variables (gateway, web, edge agent, worker).
 */
export function effectiveLogLevel(
  config: Pick<PlatformConfig, 'LOG_LEVEL' | 'DEBUG'>,
): (typeof LOG_LEVELS)[number] {
  return config.LOG_LEVEL ?? (config.DEBUG ? 'debug' : 'info');
}

/** `SECRET_KEY`, falling back to the development secret outside staging and production. */
export function secretKey(config: PlatformConfig): string {
  return config.SECRET_KEY ?? DEVELOPMENT_SECRET;
}
