import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { cacheKey } from '../cache/cache-key.js';
import { LogThrottle } from '../observability/log-throttle.js';
import type { Logger } from '../observability/logger.js';
import { TOKEN_BUCKET_SCRIPT } from './token-bucket.lua.js';

/** The answer to one request, with what the `RateLimit-*` and `Retry-After` headers need. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** The bucket's capacity (`RATE_LIMIT_BURST`). */
  readonly limit: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until this request would be allowed; 0 when allowed, otherwise at least 1. */
  readonly retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
}

export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1) from `subject`'s bucket (a tenant, an API key, an IP). Never
   * rejects because Redis failed; rejects with a RangeError for a cost outside `(0, burst]`.
   */
  consume(subject: string, cost?: number): Promise<RateLimitDecision>;
}

export interface RateLimiterOptions {
  /** Shares the buckets between replicas when given. */
  readonly redis?: Redis;
  readonly service: string;
  /** `RATE_LIMIT_REQUESTS_PER_MINUTE`: the sustained rate. */
  readonly requestsPerMinute: number;
  /** `RATE_LIMIT_BURST`: the bucket's capacity, i.e. how many requests may arrive at once. */
  readonly burst: number;
  readonly logger: Logger;
}

/** Subjects tracked in-process; beyond this the least recent bucket is forgotten (i.e. refilled). */
const MAX_LOCAL_BUCKETS = 10_000;
const SCRIPT_SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');

/**
 * A token-bucket rate limiter: a bucket holds up to `burst` tokens, refills at
 * `requestsPerMinute / 60` tokens per second, and each request takes one.
 *
 * With Redis the bucket is shared by every replica (one atomic script per request). Without
 * Redis, or when a Redis call fails, each replica keeps its own buckets: during an outage the
 * effective limit is multiplied by the replica count, which beats both alternatives — failing
 * closed turns a cache outage into a full outage, failing open removes the limit altogether.
 *
 * @throws RangeError when `requestsPerMinute` is not positive or `burst` not an integer ≥ 1.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, service, requestsPerMinute, burst, logger } = options;
  if (!Number.isFinite(requestsPerMinute) || requestsPerMinute <= 0) {
    throw new RangeError(
      `Argument 'requestsPerMinute' must be a positive number, got ${requestsPerMinute}`,
    );
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`Argument 'burst' must be an integer >= 1, got ${burst}`);
  }
  cacheKey(service, 'ratelimit', '-'); // fails now, not on the first request, for a bad name
  const bucket: BucketShape = { capacity: burst, perSecond: requestsPerMinute / 60 };
  const local = new LocalBuckets(bucket);
  const throttle = new LogThrottle(30_000);
  const ttlMs = Math.ceil((burst / bucket.perSecond) * 1000) + 1000;

  return {
    async consume(subject: string, cost = 1): Promise<RateLimitDecision> {
      if (!Number.isFinite(cost) || cost <= 0 || cost > burst) {
        throw new RangeError(`Argument 'cost' must be in (0, ${burst}], got ${cost}`);
      }
      const key = cacheKey(service, 'ratelimit', subject);
      // A disconnected client fails every command anyway; skip the round of errors.
      if (redis === undefined || redis.status !== 'ready') return local.consume(key, cost);
      try {
        const [allowed, tokens] = await runScript(redis, key, [
          String(burst),
          String(bucket.perSecond / 1000),
          String(cost),
          String(ttlMs),
        ]);
        return decide(allowed, tokens, cost, bucket);
      } catch (error) {
        const suppressed = throttle.take('redis');
        if (suppressed !== undefined) {
          logger.warn(
            { suppressed, error: error instanceof Error ? error.message : String(error) },
            'rate limiter cannot reach redis; limiting in-process',
          );
        }
        return local.consume(key, cost);
      }
    },
  };
}

interface BucketShape {
  readonly capacity: number;
  readonly perSecond: number;
}

function decide(
  allowed: boolean,
  tokens: number,
  cost: number,
  { capacity, perSecond }: BucketShape,
): RateLimitDecision {
  return {
    allowed,
    limit: capacity,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / perSecond)),
    resetSeconds: Math.max(0, Math.ceil((capacity - tokens) / perSecond)),
  };
}

/** EVALSHA first (the script body is not resent), EVAL when the server has not cached it yet. */
async function runScript(redis: Redis, key: string, args: string[]): Promise<[boolean, number]> {
  let reply: unknown;
  try {
    reply = await redis.evalsha(SCRIPT_SHA, 1, key, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await redis.eval(TOKEN_BUCKET_SCRIPT, 1, key, ...args);
  }
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new Error(`unexpected token-bucket reply: ${JSON.stringify(reply)}`);
  }
  const [allowed, tokens] = reply as unknown[];
  const left = Number(tokens);
  if ((allowed !== 0 && allowed !== 1) || !Number.isFinite(left)) {
    throw new Error(`unexpected token-bucket reply: ${JSON.stringify(reply)}`);
  }
  return [allowed === 1, left];
}

/** The same bucket in process memory, on a monotonic clock, for the Redis-less path. */
class LocalBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly shape: BucketShape,
    private readonly now: () => number = () => performance.now(),
  ) {}

  consume(key: string, cost: number): RateLimitDecision {
    const now = this.now();
    const { capacity, perSecond } = this.shape;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    this.buckets.delete(key); // re-inserted below: the Map's order is the LRU order
    const tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    const allowed = tokens >= cost;
    const left = allowed ? tokens - cost : tokens;
    this.buckets.set(key, { tokens: left, at: now });
    if (this.buckets.size > MAX_LOCAL_BUCKETS) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
    return decide(allowed, left, cost, this.shape);
  }
}
