import { Controller, Get, Header, HttpStatus, Inject, Optional, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  PlatformMetrics,
  Resilience,
  type Cache,
  type PlatformConfig,
} from '@nomaly/platform-core';
import { Database } from '@nomaly/platform-persistence';
import type { FastifyReply } from 'fastify';
import { Public, SkipRateLimit } from '../auth/decorators.js';
import { Lifecycle } from '../lifecycle.js';
import {
  PLATFORM_CACHE,
  PLATFORM_CONFIG,
  PLATFORM_SERVICE_INFO,
  type ServiceInfo,
} from '../tokens.js';

interface Check {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/**
 * Probes and status for operators: `/health` (the process is alive), `/ready` (send it
 * traffic: not draining and the database answers; a Redis outage only degrades it, because
 * the service keeps serving on its local fallbacks), the two dependency checks, `/status` and
 * the Prometheus scrape.
 */
@ApiExcludeController()
@Public()
@SkipRateLimit()
@Controller()
export class HealthController {
  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(PLATFORM_SERVICE_INFO) private readonly info: ServiceInfo,
    @Inject(PLATFORM_CACHE) private readonly cache: Cache,
    private readonly lifecycle: Lifecycle,
    private readonly metrics: PlatformMetrics,
    private readonly resilience: Resilience,
    @Optional() private readonly database?: Database,
  ) {}

  @Get('health')
  health(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.config.SERVICE_NAME };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const [database, cache] = await Promise.all([this.databaseCheck(), this.cache.ping()]);
    const ready = !this.lifecycle.draining && database.ok;
    void reply.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return {
      ready,
      draining: this.lifecycle.draining,
      checks: {
        database: database.ok ? 'up' : 'down',
        cache: cache.ok ? 'up' : 'degraded',
      },
    };
  }

  @Get('health/db')
  async healthDatabase(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const check = await this.databaseCheck();
    void reply.status(check.ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: check.ok ? 'up' : 'down',
      ...check,
      ...(this.database === undefined ? {} : { pool: this.database.poolStats() }),
    };
  }

  @Get('health/cache')
  async healthCache(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const check = await this.cache.ping();
    void reply.status(check.ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: check.ok ? 'up' : 'down', kind: this.cache.kind, ...check };
  }

  @Get('status')
  async status(): Promise<object> {
    const [database, cache] = await Promise.all([this.databaseCheck(), this.cache.ping()]);
    return {
      service: this.config.SERVICE_NAME,
      version: this.info.version,
      environment: this.config.ENVIRONMENT,
      uptimeSeconds: this.lifecycle.uptimeSeconds(),
      draining: this.lifecycle.draining,
      database: {
        ...database,
        embedded: this.database?.embedded ?? false,
        ...(this.database === undefined ? {} : { pool: this.database.poolStats() }),
      },
      cache: { kind: this.cache.kind, ...cache },
      breakers: this.resilience.states(),
    };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('Content-Type', this.metrics.contentType);
    return this.metrics.metrics();
  }

  private async databaseCheck(): Promise<Check> {
    if (this.database === undefined) return { ok: true, latencyMs: 0 };
    return this.database.ping(2_000);
  }
}
