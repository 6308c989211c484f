import type { Redis } from 'ioredis';
import { LogThrottle } from '../observability/log-throttle.js';
import type { Logger } from '../observability/logger.js';
import type { Resilience } from '../resilience/resilience.js';
import { MemoryCache, checkTtl } from './memory-cache.js';

/** What `/health/cache` reports. */
export interface CachePing {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/**
 * A string cache with TTLs. Keys come from `cacheKey`. A cache is an optimisation, so no method
 * rejects because the backend failed: a failed read is a miss and a failed write is skipped.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  /** @throws RangeError (as a rejection) unless `ttlSeconds` is a positive number. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores `value` only if `key` is absent; true when it did. The building block of locks. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  ping(): Promise<CachePing>;
  close(): Promise<void>;
}

export interface CreateCacheOptions {
  /** Redis-backed when given (the cache then owns the client: `close()` quits it). */
  readonly redis?: Redis;
  readonly logger: Logger;
  /** Guards Redis calls with the `cache` preset's timeout, retries and breaker. */
  readonly resilience?: Resilience;
  /** Bound of the in-process LRU (or of the Redis cache's outage fallback). Default 10 000. */
  readonly maxEntries?: number;
}

/** Redis-backed when `redis` is given, otherwise an in-process LRU with TTLs. */
export function createCache(options: CreateCacheOptions): Cache {
  return options.redis === undefined
    ? new MemoryCache(options.maxEntries)
    : new RedisCache(options.redis, options);
}

/** The operation name (and breaker) shared by every Redis call of the cache. */
export const CACHE_OPERATION = 'cache.redis';
/** How long `ping` waits for PONG. */
const PING_TIMEOUT_MS = 1_000;
const FAILURE_LOG_INTERVAL_MS = 30_000;
/** How long `close` waits for the connection to end after QUIT. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The Redis cache. When Redis fails, reads miss and writes are skipped, except for keys claimed
 * with `setIfAbsent` during the outage: those live in an in-process map (and `set`, `get` and
 * `delete` follow them there), so a lock taken while Redis is down still excludes duplicates
 * within this replica, and the request holding it can complete or release it. While such a
 * local claim lives, it wins over Redis, so a claim made just before Redis came back is kept.
 */
class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly local: MemoryCache;
  private readonly throttle = new LogThrottle(FAILURE_LOG_INTERVAL_MS);
  private readonly logger: Logger;
  private readonly redisGet: (key: string) => Promise<string | null>;
  private readonly redisSet: (key: string, value: string, ttlMs: number) => Promise<void>;
  private readonly redisSetNx: (key: string, value: string, ttlMs: number) => Promise<boolean>;
  private readonly redisDelete: (key: string) => Promise<void>;

  constructor(
    private readonly redis: Redis,
    options: CreateCacheOptions,
  ) {
    this.logger = options.logger;
    this.local = new MemoryCache(options.maxEntries);
    const { resilience } = options;
    // SET NX is not retried: if its reply is lost, a retry would find our own value and answer
    // "taken", turning the caller's successful claim into a refusal.
    const guard = <A extends unknown[], R>(
      fn: (...args: A) => Promise<R>,
      idempotent: boolean,
    ): ((...args: A) => Promise<R>) =>
      resilience === undefined ? fn : resilience.wrap(CACHE_OPERATION, 'cache', fn, { idempotent });
    this.redisGet = guard((key: string) => redis.get(key), true);
    this.redisSet = guard(async (key: string, value: string, ttlMs: number) => {
      await redis.set(key, value, 'PX', ttlMs);
    }, true);
    this.redisSetNx = guard(
      async (key: string, value: string, ttlMs: number) =>
        (await redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK',
      false,
    );
    this.redisDelete = guard(async (key: string) => {
      await redis.del(key);
    }, true);
  }

  async get(key: string): Promise<string | undefined> {
    if (this.local.has(key)) return this.local.read(key);
    try {
      return (await this.redisGet(key)) ?? undefined;
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    try {
      await this.redisSet(key, value, toMilliseconds(ttlSeconds));
      await this.local.delete(key);
    } catch (error) {
      this.failed('set', error);
      if (this.local.has(key)) this.local.write(key, value, ttlSeconds);
    }
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    checkTtl(ttlSeconds);
    if (this.local.has(key)) return false;
    try {
      return await this.redisSetNx(key, value, toMilliseconds(ttlSeconds));
    } catch (error) {
      this.failed('setIfAbsent', error);
      return this.local.claim(key, value, ttlSeconds);
    }
  }

  async delete(key: string): Promise<void> {
    await this.local.delete(key);
    try {
      await this.redisDelete(key);
    } catch (error) {
      this.failed('delete', error);
    }
  }

  /** A real PING straight to Redis (not through the breaker): health checks want the truth. */
  async ping(): Promise<CachePing> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no PONG within ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          );
        }),
      ]);
      return { ok: true, latencyMs: elapsed(started) };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(started), error: messageOf(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Quits a connected client (waiting for the socket to close); stops a reconnecting one. */
  async close(): Promise<void> {
    await this.local.close();
    if (this.redis.status === 'ready') {
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        this.redis.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await this.redis.quit();
        await ended;
        return;
      } catch {
        // the connection dropped meanwhile: fall through and stop reconnecting
      }
    }
    if (this.redis.status !== 'end') this.redis.disconnect();
  }

  private failed(operation: string, error: unknown): void {
    const suppressed = this.throttle.take(operation);
    if (suppressed === undefined) return;
    this.logger.warn(
      { operation, suppressed, error: messageOf(error) },
      `redis cache ${operation} failed; degrading to a miss or a local fallback`,
    );
  }
}

function toMilliseconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
