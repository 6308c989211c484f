import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ServiceError, type Principal, type Role } from '@nomaly/platform-core';
import type { FastifyRequest } from 'fastify';

export const IS_PUBLIC = 'nomaly:public';
export const REQUIRED_ROLE = 'nomaly:role';
export const SKIP_RATE_LIMIT = 'nomaly:skip-rate-limit';
export const NOT_REPLAYABLE = 'nomaly:not-replayable';

/** Opens a route to unauthenticated callers; every other route requires a valid token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The least role a caller needs (`admin` ⊇ `analyst` ⊇ `viewer`). */
export const RequireRole = (role: Role): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_ROLE, role);

/** Probes and scrapes are not rate limited: a throttled probe would restart a healthy pod. */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator =>
  SetMetadata(SKIP_RATE_LIMIT, true);

/**
 * A POST whose response carries a secret shown once (a new API key): it is never stored for
 * replay, so `Idempotency-Key` is not honoured there — a retry creates another one.
 */
export const NotReplayable = (): MethodDecorator & ClassDecorator =>
  SetMetadata(NOT_REPLAYABLE, true);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth guard from a verified token. */
    principal?: Principal;
  }
}

/** The verified caller of an authenticated route. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.principal === undefined) {
      // Only reachable when a @Public route asks for a principal: a programming error.
      throw new ServiceError('UNAUTHENTICATED', 'Authentication required.');
    }
    return request.principal;
  },
);
