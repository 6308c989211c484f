import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { Resilience } from '../resilience/resilience.js';
import { CACHE_OPERATION, createCache } from './cache.js';
import { cacheKey } from './cache-key.js';
import { createRedisClient } from './redis-client.js';
import { DEAD_REDIS, ready, SHARED_REDIS, spawnRedis } from '../../test/redis.js';

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'cache-spec',
    level: 'info',
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  return { lines, logger };
}

describe(createCache.name, () => {
  const service = `spec-${randomUUID()}`;
  const key = (id: string): string => cacheKey(service, 'entry', id);

  it('is an in-process LRU without Redis', async () => {
    const sut = createCache({ logger: logCapture().logger, maxEntries: 1 });
    expect(sut.kind).toBe('memory');
    await sut.set('a', '1', 60);
    await sut.set('b', '2', 60);
    expect(await sut.get('a')).toBeUndefined();
    expect(await sut.get('b')).toBe('2');
  });

  describe('on Redis', () => {
    const { logger } = logCapture();
    let client: Redis;

    beforeAll(async () => {
      client = await ready(
        createRedisClient(SHARED_REDIS, logger, { connectionName: 'cache-spec' }),
      );
    });

    afterAll(async () => {
      const keys = await client.keys(`nomaly:${service}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    });

    it('gets, sets with a TTL, sets if absent and deletes', async () => {
      const sut = createCache({ redis: client, logger });
      expect(sut.kind).toBe('redis');
      expect(await sut.get(key('a'))).toBeUndefined();
      await sut.set(key('a'), 'value-a', 30);
      expect(await sut.get(key('a'))).toBe('value-a');
      const ttl = await client.pttl(key('a'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);

      expect(await sut.setIfAbsent(key('lock'), 'first', 30)).toBe(true);
      expect(await sut.setIfAbsent(key('lock'), 'second', 30)).toBe(false);
      expect(await sut.get(key('lock'))).toBe('first');
      await sut.delete(key('lock'));
      expect(await client.exists(key('lock'))).toBe(0);
      await expect(sut.set(key('a'), 'v', -1)).rejects.toThrow(RangeError);
    });

    it('pings for real', async () => {
      const sut = createCache({ redis: client, logger });
      const ping = await sut.ping();
      expect(ping.ok).toBe(true);
      expect(ping.latencyMs).toBeGreaterThanOrEqual(0);
      expect(ping.error).toBeUndefined();
    });

    it('goes through the cache breaker when given a Resilience', async () => {
      const resilience = new Resilience({ service, enabled: true, breakersEnabled: true, logger });
      const sut = createCache({ redis: client, logger, resilience });
      await sut.set(key('guarded'), 'v', 30);
      expect(await sut.get(key('guarded'))).toBe('v');
      expect(resilience.states()).toEqual([
        expect.objectContaining({
          operation: CACHE_OPERATION,
          preset: 'cache',
          state: 'closed',
          successes: 2,
        }),
      ]);
      resilience.shutdown();
    });

    it('quits the client on close', async () => {
      const own = await ready(createRedisClient(SHARED_REDIS, logger));
      const sut = createCache({ redis: own, logger });
      await sut.close();
      expect(own.status).toBe('end');
    });
  });

  describe('when Redis is unreachable', () => {
    it('misses, skips writes and claims locally, never throwing', async () => {
      const { lines, logger } = logCapture();
      const client = createRedisClient(DEAD_REDIS, logger);
      let connectionErrors = 0;
      client.on('error', () => connectionErrors++);
      const sut = createCache({ redis: client, logger });
      expect(await sut.get(key('x'))).toBeUndefined();
      await expect(sut.set(key('x'), 'v', 30)).resolves.toBeUndefined();
      expect(await sut.get(key('x'))).toBeUndefined();

      // setIfAbsent falls back to this process: a lock still excludes a second holder here.
      expect(await sut.setIfAbsent(key('lock'), 'in-progress', 30)).toBe(true);
      expect(await sut.setIfAbsent(key('lock'), 'other', 30)).toBe(false);
      await sut.set(key('lock'), 'done', 30); // the holder completes
      expect(await sut.get(key('lock'))).toBe('done');
      await sut.delete(key('lock')); // or releases it
      expect(await sut.setIfAbsent(key('lock'), 'again', 30)).toBe(true);

      const ping = await sut.ping();
      expect(ping.ok).toBe(false);
      expect(ping.error).toMatch(/\w/);
      expect(
        lines.filter((l) => String(l['msg']).startsWith('redis cache get failed')),
      ).toHaveLength(1);
      // Throttled: one line while reconnections keep failing, not one per failure.
      await vi.waitFor(() => expect(connectionErrors).toBeGreaterThanOrEqual(3));
      expect(lines.filter((l) => l['msg'] === 'redis connection error')).toHaveLength(1);
      await expect(sut.close()).resolves.toBeUndefined();
    });

    it('opens the cache breaker and still answers', async () => {
      const { logger } = logCapture();
      const resilience = new Resilience({ service, enabled: true, breakersEnabled: true, logger });
      const sut = createCache({ redis: createRedisClient(DEAD_REDIS, logger), logger, resilience });
      for (let i = 0; i < 3; i++) expect(await sut.get(key('x'))).toBeUndefined();
      expect(resilience.states()[0]).toMatchObject({ operation: CACHE_OPERATION, state: 'open' });
      expect(await sut.get(key('x'))).toBeUndefined();
      resilience.shutdown();
      await sut.close();
    });
  });

  describe('when Redis dies mid-test', () => {
    let server: { url: string; process: ChildProcess };

    beforeAll(async () => {
      server = await spawnRedis();
    });

    afterAll(() => {
      server.process.kill('SIGKILL');
    });

    it('answers from Redis, then degrades to misses without throwing', async () => {
      const { logger } = logCapture();
      const client = await ready(createRedisClient(server.url, logger));
      const sut = createCache({ redis: client, logger });
      await sut.set(key('k'), 'v', 30);
      expect(await sut.get(key('k'))).toBe('v');

      server.process.kill('SIGKILL');
      await once(server.process, 'exit');
      await vi.waitFor(() => expect(client.status).not.toBe('ready'));

      expect(await sut.get(key('k'))).toBeUndefined();
      await expect(sut.set(key('k'), 'w', 30)).resolves.toBeUndefined();
      await expect(sut.delete(key('k'))).resolves.toBeUndefined();
      expect((await sut.ping()).ok).toBe(false);
      await sut.close();
    });
  });
});
