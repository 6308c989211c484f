import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@nomaly/platform-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PLATFORM_LOGGER } from '../tokens.js';
import { sendProblem } from './problem.js';

/** Every error raised in an HTTP handler, guard, pipe or interceptor → problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(PLATFORM_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
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
