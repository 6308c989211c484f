import type { IncomingHttpHeaders } from 'node:http';
import type { HttpRoute } from '../istio/resources.js';
import { parseDuration } from '../istio/duration.js';

/** Envoy's retry policy of a route, as Istio generates it from `HTTPRoute.retries`. */
export interface RetryPolicy {
  /** Retries after the first try (Istio's `attempts`). */
  readonly retries: number;
  /** 0: each try may take the whole route timeout. */
  readonly perTryTimeoutMs: number;
  readonly conditions: ReadonlySet<string>;
  /** Codes that `retriable-status-codes` retries on (numbers in `retryOn`). */
  readonly statusCodes: ReadonlySet<number>;
}

/** What went wrong with one try. */
export type TryFailure = 'connect-failure' | 'reset' | 'per-try-timeout';

/** Istio's retry policy for routes without `retries` (Envoy config of Istio 1.x). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 2,
  perTryTimeoutMs: 0,
  conditions: new Set([
    'connect-failure',
    'refused-stream',
    'unavailable',
    'cancelled',
    'retriable-status-codes',
  ]),
  statusCodes: new Set([503]),
};

/** Envoy's `retry_on` values (HTTP and gRPC). */
const KNOWN_CONDITIONS = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** gRPC status codes behind the gRPC retry conditions (read from `grpc-status`). */
const GRPC_CONDITIONS: ReadonlyMap<string, string> = new Map([
  ['1', 'cancelled'],
  ['4', 'deadline-exceeded'],
  ['13', 'internal'],
  ['8', 'resource-exhausted'],
  ['14', 'unavailable'],
]);

/**
 * The retry policy of a route: Istio's default when `retries` is absent, none when `attempts`
 * is 0 or unset, else the given attempts with `retryOn` (default: Istio's conditions).
 * Throws an Error naming a condition Envoy does not know.
 */
export function compileRetryPolicy(retries: HttpRoute['retries']): RetryPolicy | undefined {
  if (retries === undefined) return DEFAULT_RETRY_POLICY;
  const attempts = retries.attempts ?? 0;
  if (attempts === 0) return undefined;
  const perTryTimeoutMs =
    retries.perTryTimeout === undefined ? 0 : (parseDuration(retries.perTryTimeout) ?? 0);
  if (retries.retryOn === undefined || retries.retryOn.trim() === '') {
    return { ...DEFAULT_RETRY_POLICY, retries: attempts, perTryTimeoutMs };
  }
  const conditions = new Set<string>();
  const statusCodes = new Set<number>();
  for (const token of retries.retryOn.split(',').map((t) => t.trim())) {
    if (token === '') continue;
    if (/^\d+$/.test(token)) {
      const code = Number(token);
      if (code < 100 || code > 599) throw new Error(`retryOn: "${token}" is not an HTTP status`);
      statusCodes.add(code);
      conditions.add('retriable-status-codes');
    } else if (KNOWN_CONDITIONS.has(token)) {
      conditions.add(token);
    } else {
      throw new Error(
        `retryOn: unknown condition "${token}" (Envoy knows ${[...KNOWN_CONDITIONS].join(', ')}, or a status code)`,
      );
    }
  }
  return { retries: attempts, perTryTimeoutMs, conditions, statusCodes };
}

/** Whether a response with this status (and headers) is retried under `policy`. */
export function retriesStatus(
  policy: RetryPolicy,
  status: number,
  headers: IncomingHttpHeaders,
): boolean {
  const on = policy.conditions;
  if (status >= 500 && on.has('5xx')) return true;
  if ((status === 502 || status === 503 || status === 504) && on.has('gateway-error')) return true;
  if (status === 409 && on.has('retriable-4xx')) return true;
  if (on.has('retriable-status-codes') && policy.statusCodes.has(status)) return true;
  const grpcStatus = headers['grpc-status'];
  if (typeof grpcStatus === 'string') {
    const condition = GRPC_CONDITIONS.get(grpcStatus);
    if (condition !== undefined && on.has(condition)) return true;
  }
  return false;
}

/** Whether a try that failed this way is retried under `policy`. */
export function retriesFailure(policy: RetryPolicy, failure: TryFailure): boolean {
  const on = policy.conditions;
  switch (failure) {
    case 'connect-failure':
      return (
        on.has('connect-failure') ||
        on.has('reset') ||
        on.has('reset-before-request') ||
        on.has('5xx') ||
        on.has('gateway-error')
      );
    case 'reset':
      return on.has('reset') || on.has('5xx');
    case 'per-try-timeout':
      return on.has('5xx') || on.has('gateway-error') || on.has('reset');
  }
}
