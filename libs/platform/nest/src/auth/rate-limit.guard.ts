import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ServiceError, type createRateLimiter } from '@nomaly/platform-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PLATFORM_RATE_LIMITER } from '../tokens.js';
import { SKIP_RATE_LIMIT } from './decorators.js';

type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * Token-bucket limit per caller (`RATE_LIMIT_REQUESTS_PER_MINUTE`, `RATE_LIMIT_BURST`), shared
 * across replicas through Redis. The subject is the API key (or user) inside its tenant for
 * authenticated calls and the client address for public ones, so one noisy key cannot starve
 * its tenant's other keys and an anonymous flood cannot starve authenticated users.
 * Runs after {@link AuthGuard}, which sets the principal.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(PLATFORM_RATE_LIMITER) private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, targets) === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const principal = request.principal;
    const subject =
      principal === undefined
        ? `ip:${request.ip}`
        : `tenant:${principal.tenantId}:${principal.apiKeyId === undefined ? `user:${principal.subject}` : `key:${principal.apiKeyId}`}`;

    const decision = await this.limiter.consume(subject);
    void reply.header('RateLimit-Limit', String(decision.limit));
    void reply.header('RateLimit-Remaining', String(Math.max(0, Math.floor(decision.remaining))));
    void reply.header('RateLimit-Reset', String(Math.ceil(decision.resetSeconds)));
    if (!decision.allowed) {
      throw new ServiceError(
        'RATE_LIMITED',
        `Rate limit exceeded; retry after ${decision.retryAfterSeconds} s.`,
        { retryAfterSeconds: decision.retryAfterSeconds },
      );
    }
    return true;
  }
}
