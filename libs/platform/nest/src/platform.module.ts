import {
  Global,
  type Abstract,
  Inject,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import {
  createCache,
  createRateLimiter,
  createRedisClient,
  IdempotencyStore,
  PlatformMetrics,
  Resilience,
  TokenVerifier,
  type Cache,
  type Logger,
  type PlatformConfig,
} from '@nomaly/platform-core';
import { Database, databaseOptions, type ServiceSchema } from '@nomaly/platform-persistence';
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import { AuthGuard } from './auth/auth.guard.js';
import { RateLimitGuard } from './auth/rate-limit.guard.js';
import { HealthController } from './health/health.controller.js';
import { IdempotencyInterceptor } from './http/idempotency.interceptor.js';
import { Lifecycle } from './lifecycle.js';
import {
  PLATFORM_CACHE,
  PLATFORM_CONFIG,
  PLATFORM_LOGGER,
  PLATFORM_RATE_LIMITER,
  PLATFORM_REDIS,
  PLATFORM_SERVICE_INFO,
  type ServiceInfo,
} from './tokens.js';

/** A provider of the public keys that verify access tokens. */
export interface JwksSource {
  jwks(): Promise<JSONWebKeySet>;
}

/** The service's own Postgres schema (`auth`, `dataset`, …), its entities and migrations. */
export type DatabaseDefinition = ServiceSchema;

export interface PlatformOptions {
  readonly config: PlatformConfig;
  readonly info: ServiceInfo;
  readonly logger: Logger;
  readonly metrics: PlatformMetrics;
  readonly lifecycle: Lifecycle;
  readonly database?: DatabaseDefinition;
  /**
   * Where access-token verification keys come from. Default: the auth-service's JWKS at
   * `AUTH_JWKS_URL`. The auth-service passes its own key store (a provider class, added to
   * this module and exported, so its feature modules inject the same instance).
   */
  readonly keySource?: Type<JwksSource>;
}

/** Closes what the platform opened, after the HTTP server has finished its in-flight requests. */
class PlatformShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    @Inject(PLATFORM_CACHE) private readonly cache: Cache,
    private readonly resilience: Resilience,
    @Optional() @Inject(PLATFORM_REDIS) private readonly redis?: Redis,
    @Optional() private readonly database?: Database,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.resilience.shutdown();
    await this.cache.close();
    if (this.redis !== undefined) {
      await Promise.race([
        this.redis.quit().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
      ]);
      this.redis.disconnect();
    }
    await this.database?.close();
    this.logger.info('connections closed');
  }
}

/**
 * Everything a service stands on, as one global module: config, logger, metrics, database,
 * cache, resilience, rate limits, idempotency, token verification, health routes, and the
 * global guards (authentication first, then rate limiting) and idempotency interceptor.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const { config, logger, metrics } = options;
    const providers: Provider[] = [
      { provide: PLATFORM_CONFIG, useValue: config },
      { provide: PLATFORM_SERVICE_INFO, useValue: options.info },
      { provide: PLATFORM_LOGGER, useValue: logger },
      { provide: PlatformMetrics, useValue: metrics },
      { provide: Lifecycle, useValue: options.lifecycle },
      {
        provide: Resilience,
        useFactory: () =>
          new Resilience({
            service: config.SERVICE_NAME,
            enabled: config.RESILIENCE_ENABLED,
            breakersEnabled: config.CIRCUIT_BREAKER_ENABLED,
            logger,
            metrics,
          }),
      },
      {
        provide: PLATFORM_REDIS,
        useFactory: () =>
          config.REDIS_URL === undefined
            ? undefined
            : createRedisClient(config.REDIS_URL, logger, { connectionName: config.SERVICE_NAME }),
      },
      {
        provide: PLATFORM_CACHE,
        inject: [PLATFORM_REDIS, Resilience],
        useFactory: (redis: Redis | undefined, resilience: Resilience) => {
          const cache = createCache({
            ...(redis === undefined ? {} : { redis }),
            logger,
            resilience,
          });
          resilience.registerProbe('cache', async () => (await cache.ping()).ok);
          return cache;
        },
      },
      {
        provide: PLATFORM_RATE_LIMITER,
        inject: [PLATFORM_REDIS],
        useFactory: (redis: Redis | undefined) =>
          createRateLimiter({
            ...(redis === undefined ? {} : { redis }),
            service: config.SERVICE_NAME,
            requestsPerMinute: config.RATE_LIMIT_REQUESTS_PER_MINUTE,
            burst: config.RATE_LIMIT_BURST,
            logger,
          }),
      },
      {
        provide: IdempotencyStore,
        inject: [PLATFORM_CACHE],
        useFactory: (cache: Cache) => new IdempotencyStore(cache, { service: config.SERVICE_NAME }),
      },
      tokenVerifierProvider(options),
      PlatformShutdown,
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_GUARD, useClass: RateLimitGuard },
      { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    ];
    const exported: Array<symbol | Abstract<unknown>> = [
      PLATFORM_CONFIG,
      PLATFORM_SERVICE_INFO,
      PLATFORM_LOGGER,
      PLATFORM_CACHE,
      PLATFORM_RATE_LIMITER,
      PLATFORM_REDIS,
      PlatformMetrics,
      Lifecycle,
      Resilience,
      IdempotencyStore,
      TokenVerifier,
    ];
    if (options.keySource !== undefined) {
      providers.push(options.keySource);
      exported.push(options.keySource);
    }
    if (options.database !== undefined) {
      providers.push(databaseProvider(config, options.database, logger, metrics));
      exported.push(Database);
    }
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers,
      exports: exported,
    };
  }
}

function databaseProvider(
  config: PlatformConfig,
  definition: DatabaseDefinition,
  logger: Logger,
  metrics: PlatformMetrics,
): Provider {
  return {
    provide: Database,
    inject: [Resilience],
    useFactory: async (resilience: Resilience) => {
      const database = await Database.open(
        databaseOptions(config, definition, { logger, metrics }),
      );
      // Development and tests migrate on boot for a one-command start; staging and production
      // run the migration command (a Helm pre-upgrade Job) explicitly, never at random on boot.
      if (config.ENVIRONMENT === 'development' || config.ENVIRONMENT === 'test') {
        await database.migrate();
      } else {
        // Serving on a schema older than the code fails request by request; refuse to start.
        const pending = await database.pendingMigrations();
        if (pending.length > 0) {
          await database.close();
          throw new Error(
            `The ${definition.schema} schema is behind this version: ${pending.length} migration(s) pending (${pending.join(', ')}). Run the migrate command first.`,
          );
        }
      }
      resilience.registerProbe('database', async () => (await database.ping(1_000)).ok);
      return database;
    },
  };
}

function tokenVerifierProvider(options: PlatformOptions): Provider {
  const { config } = options;
  const verifierOptions = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  const { keySource } = options;
  if (keySource !== undefined) {
    return {
      provide: TokenVerifier,
      inject: [keySource],
      useFactory: (source: JwksSource) =>
        new TokenVerifier({ ...verifierOptions, keys: { local: () => source.jwks() } }),
    };
  }
  return {
    provide: TokenVerifier,
    useFactory: () => {
      if (config.AUTH_JWKS_URL === undefined) {
        // Validated here rather than in the schema: only services that verify tokens need it.
        throw new Error('AUTH_JWKS_URL must be set (the auth-service JWKS endpoint)');
      }
      return new TokenVerifier({ ...verifierOptions, keys: { jwksUrl: config.AUTH_JWKS_URL } });
    },
  };
}
