import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { ServiceError, type Logger, type ProblemCode } from '@nomaly/platform-core';
import { throwError, type Observable } from 'rxjs';

/** The one mapping from our error codes to gRPC status codes. */
export const GRPC_STATUS: Readonly<Record<ProblemCode, GrpcStatus>> = {
  VALIDATION_FAILED: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  CONFLICT: GrpcStatus.ALREADY_EXISTS,
  IDEMPOTENCY_KEY_REUSED: GrpcStatus.FAILED_PRECONDITION,
  IDEMPOTENCY_KEY_IN_USE: GrpcStatus.ABORTED,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  UNSUPPORTED_MEDIA_TYPE: GrpcStatus.INVALID_ARGUMENT,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  DEPENDENCY_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  SERVICE_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** A gRPC error for any thrown value; unexpected errors are INTERNAL with a generic message. */
export function toGrpcError(error: unknown): RpcException {
  if (error instanceof RpcException) return error;
  const known =
    error instanceof ServiceError
      ? error
      : new ServiceError('INTERNAL', 'The server could not complete the request.');
  return new RpcException({ code: GRPC_STATUS[known.code], message: known.message });
}

/** Maps errors of gRPC handlers to status codes (HTTP errors go through the problem filter). */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, _host: ArgumentsHost): Observable<never> {
    const mapped = toGrpcError(error);
    if (!(error instanceof ServiceError) && !(error instanceof RpcException)) {
      this.logger.error({ err: error }, 'gRPC call failed');
    }
    return throwError(() => mapped.getError());
  }
}
