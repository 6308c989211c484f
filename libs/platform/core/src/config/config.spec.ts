import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEVELOPMENT_SECRET,
  effectiveLogLevel,
  loadConfig,
  maskConfig,
  serviceConfigSchema,
} from './config.js';
import { z } from 'zod';

const schema = serviceConfigSchema(
  { serviceName: 'auth-service', httpPort: 8003, grpcPort: 50054 },
  { TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900) },
);

function problems(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe(loadConfig.name, () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({
      SERVICE_NAME: 'auth-service',
      ENVIRONMENT: 'development',
      PORT: 8003,
      GRPC_PORT: 50054,
      MAX_REQUEST_SIZE_MB: 100,
      MAX_DETECTION_BATCH_SIZE: 10_000,
      RESILIENCE_ENABLED: true,
      CORS_ORIGINS: [],
      TOKEN_TTL_SECONDS: 900,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(effectiveLogLevel(config)).toBe('info');
  });

  it('parses typed values and treats empty values as unset', () => {
    const config = loadConfig(schema, {
      PORT: '9000',
      DEBUG: 'yes',
      CIRCUIT_BREAKER_ENABLED: 'off',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:3000',
      MAX_REQUEST_SIZE_MB: '0.5',
      REDIS_URL: '',
    });
    expect(config.PORT).toBe(9000);
    expect(config.DEBUG).toBe(true);
    expect(config.CIRCUIT_BREAKER_ENABLED).toBe(false);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example.com', 'http://localhost:3000']);
    expect(config.MAX_REQUEST_SIZE_MB).toBe(0.5);
    expect(config.REDIS_URL).toBeUndefined();
    expect(effectiveLogLevel(config)).toBe('debug');
  });

  it('names every malformed variable at once', () => {
    const found = problems({
      PORT: 'eighty',
      GRPC_PORT: '70000',
      DEBUG: 'maybe',
      DATABASE_URL: 'mysql://db/x',
      REDIS_URL: 'not a url',
      CORS_ORIGINS: 'https://a.example.com/path',
      MAX_REQUEST_SIZE_MB: '-1',
      LOG_LEVEL: 'loud',
      SECRET_KEY: 'short',
    });
    expect(found.map((p) => p.variable).sort()).toEqual([
      'CORS_ORIGINS',
      'DATABASE_URL',
      'DEBUG',
      'GRPC_PORT',
      'LOG_LEVEL',
      'MAX_REQUEST_SIZE_MB',
      'PORT',
      'REDIS_URL',
      'SECRET_KEY',
    ]);
    expect(found.find((p) => p.variable === 'PORT')?.message).toContain('integer');
    expect(found.find((p) => p.variable === 'DATABASE_URL')?.message).toContain('postgres://');
  });

  it('requires a real secret and a database in production', () => {
    const found = problems({ ENVIRONMENT: 'production', SECRET_KEY: DEVELOPMENT_SECRET });
    expect(found.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'SECRET_KEY']);
    const alongside = problems({
      ENVIRONMENT: 'production',
      PORT: 'x',
      SECRET_KEY: 'y'.repeat(40),
    });
    expect(alongside.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'PORT']);
    const ok = loadConfig(schema, {
      ENVIRONMENT: 'production',
      SECRET_KEY: 'x'.repeat(40),
      DATABASE_URL: 'postgres://app:pw@db:5432/nomaly',
    });
    expect(ok.ENVIRONMENT).toBe('production');
  });

  it('puts the problems in the error message for the boot log', () => {
    expect(() => loadConfig(schema, { PORT: 'x' })).toThrow(/PORT must be an integer/);
  });
});

describe(maskConfig.name, () => {
  it('masks secrets and URL credentials but keeps everything else', () => {
    const config = loadConfig(schema, {
      SECRET_KEY: 's'.repeat(40),
      DATABASE_URL: 'postgres://app:hunter2@db:5432/nomaly',
      REDIS_URL: 'redis://cache:6379',
    });
    const masked = maskConfig({ ...config, API_KEYS_ENCRYPTION_KEY: 'k'.repeat(40) });
    expect(masked.SECRET_KEY).toBe('****');
    expect(masked.API_KEYS_ENCRYPTION_KEY).toBe('****');
    expect(masked.DATABASE_URL).toBe('postgres://app:****@db:5432/nomaly');
    expect(masked.REDIS_URL).toBe('redis://cache:6379');
    expect(masked.PORT).toBe(8003);
    expect(maskConfig({ ACCESS_TOKEN_TTL_SECONDS: 900, SIGNING_KEY_ROTATION_DAYS: 30 })).toEqual({
      ACCESS_TOKEN_TTL_SECONDS: 900,
      SIGNING_KEY_ROTATION_DAYS: 30,
    });
    expect(maskConfig({ GITHUB_TOKEN: 'x', SENTRY_DSN: 'https://k@s/1' })).toEqual({
      GITHUB_TOKEN: '****',
      SENTRY_DSN: '****',
    });
    expect(JSON.stringify(masked)).not.toContain('hunter2');
  });
});
