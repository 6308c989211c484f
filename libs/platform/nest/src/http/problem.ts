import { HttpException, HttpStatus } from '@nestjs/common';
import {
  isDependencyOutage,
  ServiceError,
  toProblem,
  type Logger,
  type ProblemCode,
} from '@nomaly/platform-core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

const STATUS_CODES: Readonly<Partial<Record<number, ProblemCode>>> = {
  [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHENTICATED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'NOT_FOUND',
  [HttpStatus.CONFLICT]: 'CONFLICT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'VALIDATION_FAILED',
  [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own request errors (raised before Nest sees the request), by their stable codes. */
const FASTIFY_CODES: Readonly<Record<string, [ProblemCode, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The request body exceeds the size limit.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'VALIDATION_FAILED',
    'The request body does not match its Content-Length.',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UNSUPPORTED_MEDIA_TYPE',
    'This route does not accept that Content-Type.',
  ],
  FST_ERR_CTP_INVALID_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'The Content-Type header is invalid.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    'VALIDATION_FAILED',
    'The body is empty but Content-Type is application/json.',
  ],
  FST_ERR_CTP_EMPTY_TYPE: ['VALIDATION_FAILED', 'The Content-Type header is empty.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['VALIDATION_FAILED', 'The body is not valid JSON.'],
};

/**
 * Turns anything thrown while handling a request into a `ServiceError`: ours pass through,
 * Nest's `HttpException`s and Fastify's parser errors map by status and code, JSON syntax and
 * prototype-poisoning errors are the client's, and everything else is an internal error whose
 * details stay in the log.
 */
export function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
    const response = error.getResponse();
    const message =
      typeof response === 'object' && 'message' in response && typeof response.message === 'string'
        ? response.message
        : error.message;
    return new ServiceError(code, status === 404 ? 'No such route.' : message, { status });
  }
  const fastifyError = error as Partial<FastifyError> & { status?: number };
  if (typeof fastifyError.code === 'string') {
    const known = FASTIFY_CODES[fastifyError.code];
    if (known !== undefined) return new ServiceError(known[0], known[1]);
  }
  if (isDependencyOutage(error)) {
    return new ServiceError(
      'DEPENDENCY_UNAVAILABLE',
      'The service cannot reach its database right now; retry shortly.',
      { retryAfterSeconds: 5, cause: error },
    );
  }
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('Z_')) {
    return new ServiceError('VALIDATION_FAILED', 'The compressed body could not be decoded.');
  }
  if (error instanceof SyntaxError) {
    // Fastify's JSON parser raises SyntaxError for bad JSON and for `__proto__` /
    // `constructor.prototype` keys (prototype poisoning, rejected rather than stripped).
    return new ServiceError(
      'VALIDATION_FAILED',
      `The body is not acceptable JSON: ${error.message}`,
    );
  }
  const status = fastifyError.statusCode ?? fastifyError.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ServiceError(
      STATUS_CODES[status] ?? 'VALIDATION_FAILED',
      String(fastifyError.message),
      {
        status,
      },
    );
  }
  return new ServiceError('INTERNAL', 'The server could not complete the request.', {
    cause: error,
  });
}

/** Writes an RFC 9457 problem response; 5xx causes are logged with the request id. */
export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const serviceError = asServiceError(error);
  if (serviceError.status >= 500) {
    logger.error(
      {
        err: serviceError.cause ?? serviceError,
        reqId: request.id,
        route: request.routeOptions.url,
      },
      'request failed',
    );
  }
  // The request id travels in the X-Request-Id header, not the body, so two answers to the
  // same mistake are byte-identical (an unknown and a revoked API key must not be told apart).
  const problem = toProblem(serviceError, { instance: request.url.split('?')[0] ?? request.url });
  if (serviceError.retryAfterSeconds !== undefined) {
    void reply.header(
      'Retry-After',
      String(Math.max(1, Math.ceil(serviceError.retryAfterSeconds))),
    );
  }
  void reply
    .status(serviceError.status)
    .header('Content-Type', 'application/problem+json; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(JSON.stringify(problem));
}
