import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { LogThrottle } from '../observability/log-throttle.js';

export interface RedisClientOptions {
  /** Shown by `CLIENT LIST`, so an operator can tell which service holds a connection. */
  readonly connectionName?: string;
}

/** One log line per this interval while Redis keeps failing. */
const ERROR_LOG_INTERVAL_MS = 30_000;
/** Longest wait between reconnection attempts; attempts never stop. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Creates the ioredis client of a service, tuned so that Redis being slow or gone degrades the
 * service instead of stalling or crashing it: commands fail fast while disconnected (no offline
 * queue, one retry, a 1 s command timeout) so callers fall back at once, the client reconnects
 * forever with a capped back-off, and connection errors are logged at most every 30 s (an
 * `error` listener must exist: without one, Node crashes the process on the first error).
 */
export function createRedisClient(
  url: string,
  logger: Logger,
  options: RedisClientOptions = {},
): Redis {
  const target = describe(url);
  const client = new Redis(url, {
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times: number) =>
      Math.min(50 * 2 ** Math.min(times, 6), MAX_RECONNECT_DELAY_MS),
  });
  const throttle = new LogThrottle(ERROR_LOG_INTERVAL_MS);
  let failing = false;
  client.on('error', (error: Error) => {
    failing = true;
    const suppressed = throttle.take('error');
    if (suppressed === undefined) return;
    logger.warn({ err: error, redis: target, suppressed }, 'redis connection error');
  });
  client.on('ready', () => {
    if (!failing) return;
    failing = false;
    throttle.reset('error');
    logger.info({ redis: target }, 'redis connection restored');
  });
  return client;
}

/** Host and port only: the URL may carry a password. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '<unparsable url>';
  }
}
