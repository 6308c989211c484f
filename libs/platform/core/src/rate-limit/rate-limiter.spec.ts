import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheKey } from '../cache/cache-key.js';
import { createRedisClient } from '../cache/redis-client.js';
import { createLogger } from '../observability/logger.js';
import { createRateLimiter } from './rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';
import { ready, spawnRedis } from '../../test/redis.js';

const logger = createLogger({ service: 'rate-limit-spec', level: 'silent' });

/** Consumes until the first denial (at most `max` times); returns the decisions. */
async function drain(limiter: RateLimiter, subject: string, max = 1_000) {
  const decisions = [];
  for (let i = 0; i < max; i++) {
    const decision = await limiter.consume(subject);
    decisions.push(decision);
    if (!decision.allowed) break;
  }
  return decisions;
}

/** One token a minute: nothing refills during a test, so denials are certain. */
const SLOW = { requestsPerMinute: 1, logger } as const;

function behavesAsATokenBucket(make: (service: string, burst: number) => RateLimiter) {
  it('allows `burst` requests, then denies with Retry-After >= 1', async () => {
    const sut = make(`spec-${randomUUID()}`, 3);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await sut.consume('tenant-1'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions.slice(0, 3).every((d) => d.retryAfterSeconds === 0 && d.limit === 3)).toBe(
      true,
    );
    const denied = decisions[3];
    expect(denied?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(denied?.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(denied?.resetSeconds).toBeGreaterThanOrEqual(denied?.retryAfterSeconds ?? 0);
  });

  it('keeps one bucket per subject and charges the cost', async () => {
    const sut = make(`spec-${randomUUID()}`, 3);
    expect((await sut.consume('a', 3)).allowed).toBe(true);
    expect((await sut.consume('a')).allowed).toBe(false);
    expect(await sut.consume('b', 2)).toMatchObject({ allowed: true, remaining: 1 });
    await expect(sut.consume('b', 4)).rejects.toThrow(RangeError);
    await expect(sut.consume('b', 0)).rejects.toThrow(RangeError);
  });
}

describe(createRateLimiter.name, () => {
  it('rejects a rate or burst that is not positive', () => {
    expect(() =>
      createRateLimiter({ service: 's', requestsPerMinute: 0, burst: 1, logger }),
    ).toThrow(RangeError);
    expect(() =>
      createRateLimiter({ service: 's', requestsPerMinute: 60, burst: 0.5, logger }),
    ).toThrow(/burst/);
    expect(() =>
      createRateLimiter({ service: 'a:b', requestsPerMinute: 60, burst: 1, logger }),
    ).toThrow(TypeError);
  });

  describe('in process', () => {
    behavesAsATokenBucket((service, burst) => createRateLimiter({ service, burst, ...SLOW }));

    it('refills at requestsPerMinute / 60 tokens per second', async () => {
      const sut = createRateLimiter({
        service: 'spec',
        requestsPerMinute: 1_200,
        burst: 2,
        logger,
      });
      const decisions = await drain(sut, 'tenant');
      expect(decisions.at(-1)?.allowed).toBe(false);
      await vi.waitFor(async () => expect((await sut.consume('tenant')).allowed).toBe(true));
    });
  });

  describe('on Redis', () => {
    let client: Redis;
    let other: Redis;
    const services: string[] = [];
    const make = (service: string, burst: number): RateLimiter => {
      services.push(service);
      return createRateLimiter({ redis: client, service, burst, ...SLOW });
    };

    beforeAll(async () => {
      client = await ready(createRedisClient('redis://127.0.0.1:6379', logger));
      other = await ready(createRedisClient('redis://127.0.0.1:6379', logger));
    });

    afterAll(async () => {
      for (const service of services) {
        const keys = await client.keys(`nomaly:${service}:*`);
        if (keys.length > 0) await client.del(...keys);
      }
      client.disconnect();
      other.disconnect();
    });

    behavesAsATokenBucket(make);

    it('shares a bucket between limiters (replicas) on one Redis, in a key with a TTL', async () => {
      const service = `spec-${randomUUID()}`;
      services.push(service);
      const a = createRateLimiter({ redis: client, service, burst: 4, ...SLOW });
      const b = createRateLimiter({ redis: other, service, burst: 4, ...SLOW });
      expect((await a.consume('tenant')).allowed).toBe(true);
      expect((await b.consume('tenant')).allowed).toBe(true);
      expect((await a.consume('tenant')).allowed).toBe(true);
      expect(await b.consume('tenant')).toMatchObject({ allowed: true, remaining: 0 });
      expect((await a.consume('tenant')).allowed).toBe(false);
      const ttl = await client.pttl(cacheKey(service, 'ratelimit', 'tenant'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(4 * 60_000 + 1_000);
    });

    it('refills from Redis time', async () => {
      const service = `spec-${randomUUID()}`;
      services.push(service);
      const sut = createRateLimiter({
        redis: client,
        service,
        requestsPerMinute: 1_200,
        burst: 2,
        logger,
      });
      const decisions = await drain(sut, 'tenant');
      expect(decisions.at(-1)?.allowed).toBe(false);
      await vi.waitFor(async () => expect((await sut.consume('tenant')).allowed).toBe(true));
    });

    it('falls back to the local bucket when the script fails', async () => {
      const service = `spec-${randomUUID()}`;
      services.push(service);
      // A string where the script expects a hash: Redis answers WRONGTYPE.
      await client.set(cacheKey(service, 'ratelimit', 'tenant'), 'not a bucket', 'EX', 60);
      const sut = createRateLimiter({ redis: client, service, burst: 1, ...SLOW });
      expect((await sut.consume('tenant')).allowed).toBe(true);
      expect((await sut.consume('tenant')).allowed).toBe(false);
      expect(await client.get(cacheKey(service, 'ratelimit', 'tenant'))).toBe('not a bucket');
    });
  });

  describe('on a Redis of our own', () => {
    let server: { url: string; process: ChildProcess };

    beforeAll(async () => {
      server = await spawnRedis();
    });

    afterAll(() => {
      server.process.kill('SIGKILL');
    });

    it('loads the script with EVAL once, then runs it with EVALSHA', async () => {
      const client = await ready(createRedisClient(server.url, logger));
      const sut = createRateLimiter({ redis: client, service: 'spec', burst: 5, ...SLOW });
      for (let i = 0; i < 3; i++) expect((await sut.consume('tenant')).allowed).toBe(true);
      const stats = await client.info('commandstats');
      expect(stats).toMatch(/cmdstat_eval:calls=1,/);
      expect(stats).toMatch(/cmdstat_evalsha:calls=3,/); // the first one answered NOSCRIPT
      client.disconnect();
    });

    it('keeps limiting in process when Redis dies', async () => {
      const client = await ready(createRedisClient(server.url, logger));
      const sut = createRateLimiter({ redis: client, service: 'spec', burst: 2, ...SLOW });
      expect((await sut.consume('dies')).allowed).toBe(true);
      server.process.kill('SIGKILL');
      await once(server.process, 'exit');
      await vi.waitFor(() => expect(client.status).not.toBe('ready'));
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await sut.consume('dies'));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      client.disconnect();
    });
  });

  describe('when Redis is unreachable', () => {
    const client = createRedisClient('redis://127.0.0.1:1', logger);

    afterAll(() => client.disconnect());

    behavesAsATokenBucket((service, burst) =>
      createRateLimiter({ redis: client, service, burst, ...SLOW }),
    );
  });
});
