import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  extractBearer,
  hasRole,
  ServiceError,
  TokenVerifier,
  type Role,
} from '@nomaly/platform-core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_ROLE } from './decorators.js';

/**
 * Global guard: every HTTP route requires a valid bearer token unless marked `@Public()`, and
 * `@RequireRole()` narrows it further. 401 for a missing or bad token, 403 for a good token
 * without the role. gRPC handlers are not covered here (their callers are other services).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = extractBearer(request.headers.authorization);
    if (token === undefined) {
      throw new ServiceError(
        'UNAUTHENTICATED',
        'This route requires an "Authorization: Bearer <token>" header.',
      );
    }
    const principal = await this.verifier.verify(token);
    request.principal = principal;

    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (role !== undefined && !hasRole(principal, role)) {
      throw new ServiceError('FORBIDDEN', `This route requires the "${role}" role.`);
    }
    return true;
  }
}
