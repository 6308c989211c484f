/**
 * The errors a service answers with. One code enum for every transport: the HTTP layer maps a
 * `ServiceError` to `application/problem+json` (RFC 9457) and the gRPC layer to a status code, so
 * a client sees the same stable `code` string whichever way it called.
 */
export type ProblemCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'TIMEOUT'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

interface ProblemKind {
  readonly status: number;
  readonly title: string;
}

/** HTTP status and RFC 9457 `title` per code; the title never varies with the occurrence. */
export const PROBLEM_KINDS: Readonly<Record<ProblemCode, ProblemKind>> = {
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency key reused with a different request',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: 'A request with this idempotency key is in progress',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  TIMEOUT: { status: 504, title: 'A dependency timed out' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
};

/** A field-level problem in a request, named by its JSON path (`parameters.nEstimators`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface ServiceErrorOptions {
  /** Overrides the code's default status (e.g. 422 instead of 400 for a semantic error). */
  readonly status?: number;
  /** Sent as `Retry-After` (HTTP) so well-behaved clients back off. */
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, unknown>;
  readonly errors?: readonly FieldProblem[];
  readonly cause?: unknown;
}

/**
 * An error whose message is safe to show to the caller. Anything thrown that is not a
 * `ServiceError` is answered as `INTERNAL` with a generic message: internals never leak.
 */
export class ServiceError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, unknown>;
  readonly errors?: readonly FieldProblem[];

  constructor(code: ProblemCode, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = options.status ?? PROBLEM_KINDS[code].status;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.details !== undefined) this.details = options.details;
    if (options.errors !== undefined) this.errors = options.errors;
  }

  /** True for errors the caller caused (4xx): they are not outages and never trip a breaker. */
  get isClientError(): boolean {
    return this.status < 500;
  }
}

/** RFC 9457 problem document, plus our stable `code` and the request id for support. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldProblem[];
  readonly [extension: string]: unknown;
}

/** Where each code's documentation lives; a URI reference as RFC 9457 recommends. */
export const PROBLEM_TYPE_BASE = 'https://nomaly.dev/problems/';

/** The problem document for an error; anything unexpected becomes a generic `INTERNAL`. */
export function toProblem(
  error: unknown,
  context: { instance?: string; requestId?: string } = {},
): ProblemDocument {
  const known =
    error instanceof ServiceError
      ? error
      : new ServiceError('INTERNAL', 'The server could not complete the request.');
  return {
    // Extensions first: a detail may add fields but never overwrite the standard members.
    ...(known.details ?? {}),
    type: `${PROBLEM_TYPE_BASE}${known.code.toLowerCase().replaceAll('_', '-')}`,
    title: PROBLEM_KINDS[known.code].title,
    status: known.status,
    detail: known.message,
    code: known.code,
    ...(context.instance === undefined ? {} : { instance: context.instance }),
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    ...(known.errors === undefined ? {} : { errors: known.errors }),
  };
}
