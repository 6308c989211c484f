import {
  HttpStatus,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  IdempotencyStore,
  parseIdempotencyKey,
  requestFingerprint,
  ServiceError,
} from '@nomaly/platform-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NOT_REPLAYABLE } from '../auth/decorators.js';
import { catchError, from, mergeMap, of, type Observable } from 'rxjs';

/** Nest's metadata key for `@HttpCode()`. */
const HTTP_CODE_METADATA = '__httpCode__';

/**
 * `Idempotency-Key` on an authenticated POST: the first request with a key runs and its
 * response is kept for a day; a retry with the same key and body gets that response again
 * (`Idempotent-Replayed: true`) without running twice; the same key with another body is a 422,
 * and one still running is a 409. Keys are scoped by caller and route. Only successes are kept:
 * an error frees the key, so a retry runs again (and a bad request fails again, the same way).
 * Public routes (token exchange) and `@NotReplayable()` routes store no responses, so the header
 * has no effect there: their responses hold credentials that must not sit in a cache.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const principal = request.principal;
    if (request.method !== 'POST' || principal === undefined) return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(NOT_REPLAYABLE, targets) === true) {
      return next.handle();
    }
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) return next.handle();

    // Per caller, not per tenant: two users' keys never collide, and nobody else's response
    // (which may be personal) is ever replayed to them.
    const route = request.routeOptions.url ?? request.url;
    const scope = `${principal.tenantId}:${principal.subject}:${route}`;
    const fingerprint = requestFingerprint(
      request.method,
      request.url,
      JSON.stringify(request.body ?? null),
    );
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      HttpStatus.CREATED;

    return from(this.store.begin(scope, key, fingerprint)).pipe(
      mergeMap((begun) => {
        switch (begun.kind) {
          case 'replay':
            void reply.header('Idempotent-Replayed', 'true');
            return of(JSON.parse(begun.response.body) as unknown);
          case 'mismatch':
            throw new ServiceError(
              'IDEMPOTENCY_KEY_REUSED',
              'This Idempotency-Key was used with a different request body.',
            );
          case 'in-progress':
            throw new ServiceError(
              'IDEMPOTENCY_KEY_IN_USE',
              'A request with this Idempotency-Key is still in progress; retry later.',
              { retryAfterSeconds: 1 },
            );
          case 'new':
            return next.handle().pipe(
              mergeMap(async (body: unknown) => {
                await begun.complete({ status, headers: {}, body: JSON.stringify(body ?? null) });
                return body;
              }),
              catchError(async (error: unknown) => {
                await begun.abandon();
                throw error;
              }),
            );
        }
      }),
    );
  }
}
