import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@nomaly/platform-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { GrpcErrorFilter } from '../grpc/grpc-errors.js';
import { PLATFORM_LOGGER } from '../tokens.js';
import { sendProblem } from './problem.js';

/**
 * Every error raised in an HTTP handler, guard, pipe or interceptor → problem+json; in a gRPC
 * handler → a gRPC status through {@link GrpcErrorFilter} (the gRPC server shares the app's
 * global filters, see `createServiceApp`).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly rpc: GrpcErrorFilter;

  constructor(@Inject(PLATFORM_LOGGER) private readonly logger: Logger) {
    this.rpc = new GrpcErrorFilter(logger);
  }

  catch(error: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return this.rpc.catch(error, host);
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    sendProblem(
      error,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      this.logger,
    );
  }
}
