import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../cache/cache.js';
import type { Cache } from '../cache/cache.js';
import { MemoryCache } from '../cache/memory-cache.js';
import { createRedisClient } from '../cache/redis-client.js';
import { createLogger } from '../observability/logger.js';
import { IdempotencyStore } from './idempotency-store.js';
import type { IdempotencyBegin, StoredResponse } from './idempotency-store.js';

const logger = createLogger({ service: 'idempotency-spec', level: 'silent' });
const created: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', location: '/api/v1/detectors/d1' },
  body: '{"id":"d1"}',
};

function expectNew(begin: IdempotencyBegin): Extract<IdempotencyBegin, { kind: 'new' }> {
  if (begin.kind !== 'new') throw new Error(`expected a new claim, got ${begin.kind}`);
  return begin;
}

function behavesAsAnIdempotencyStore(cache: () => Cache, service: () => string) {
  it('runs a new key once, then replays its response', async () => {
    const sut = new IdempotencyStore(cache(), { service: service() });
    const first = expectNew(await sut.begin('t1 POST /detectors', 'key-1', 'fp-a'));
    expect(await sut.begin('t1 POST /detectors', 'key-1', 'fp-a')).toEqual({ kind: 'in-progress' });
    await first.complete(created);
    expect(await sut.begin('t1 POST /detectors', 'key-1', 'fp-a')).toEqual({
      kind: 'replay',
      response: created,
    });
  });

  it('answers mismatch for the same key with another request, running or done', async () => {
    const sut = new IdempotencyStore(cache(), { service: service() });
    const first = expectNew(await sut.begin('t1', 'key-2', 'fp-a'));
    expect(await sut.begin('t1', 'key-2', 'fp-b')).toEqual({ kind: 'mismatch' });
    await first.complete(created);
    expect(await sut.begin('t1', 'key-2', 'fp-b')).toEqual({ kind: 'mismatch' });
  });

  it('frees the key on abandon so a retry can run, and ignores a late complete', async () => {
    const sut = new IdempotencyStore(cache(), { service: service() });
    const first = expectNew(await sut.begin('t1', 'key-3', 'fp-a'));
    await first.abandon();
    await first.complete(created); // already settled: no effect
    const retry = expectNew(await sut.begin('t1', 'key-3', 'fp-a'));
    await retry.complete({ ...created, status: 200 });
    expect(await sut.begin('t1', 'key-3', 'fp-a')).toMatchObject({
      kind: 'replay',
      response: { status: 200 },
    });
  });

  it('keeps scopes apart: the same key from another tenant is another key', async () => {
    const sut = new IdempotencyStore(cache(), { service: service() });
    expectNew(await sut.begin('tenant-a', 'key-4', 'fp-a'));
    expectNew(await sut.begin('tenant-b', 'key-4', 'fp-b'));
  });
}

describe(IdempotencyStore.name, () => {
  describe('on the in-process cache', () => {
    behavesAsAnIdempotencyStore(
      () => new MemoryCache(),
      () => 'spec',
    );

    it('lets another request take the key once the lock expired', async () => {
      let now = 0;
      const sut = new IdempotencyStore(new MemoryCache(100, () => now), {
        service: 'spec',
        lockSeconds: 60,
        ttlSeconds: 3_600,
      });
      expectNew(await sut.begin('t1', 'k', 'fp'));
      now += 59_000;
      expect((await sut.begin('t1', 'k', 'fp')).kind).toBe('in-progress');
      now += 1_000;
      const second = expectNew(await sut.begin('t1', 'k', 'fp'));
      await second.complete(created);
      now += 3_599_000;
      expect((await sut.begin('t1', 'k', 'fp')).kind).toBe('replay');
      now += 1_000;
      expect((await sut.begin('t1', 'k', 'fp')).kind).toBe('new');
    });

    it('frees an entry it cannot read instead of wedging the key', async () => {
      const cache = new MemoryCache();
      // A cache whose claims always find garbage already stored under the key.
      const corrupted: Cache = {
        kind: 'memory',
        get: (key) => cache.get(key),
        set: (key, value, ttl) => cache.set(key, value, ttl),
        setIfAbsent: async (key, _value, ttl) => {
          await cache.set(key, 'not json', ttl);
          return false;
        },
        delete: (key) => cache.delete(key),
        ping: () => cache.ping(),
        close: () => cache.close(),
      };
      const probe = new IdempotencyStore(corrupted, { service: 'spec' });
      expect((await probe.begin('t1', 'k', 'fp')).kind).toBe('in-progress');
      const sut = new IdempotencyStore(cache, { service: 'spec' });
      expect((await sut.begin('t1', 'k', 'fp')).kind).toBe('new'); // the garbage was deleted
    });
  });

  describe('on Redis', () => {
    const service = `spec-${randomUUID()}`;
    let client: Redis;

    beforeAll(async () => {
      client = createRedisClient('redis://127.0.0.1:6379', logger);
      if (client.status !== 'ready') await once(client, 'ready');
    });

    afterAll(async () => {
      const keys = await client.keys(`nomaly:${service}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    });

    behavesAsAnIdempotencyStore(
      () => createCache({ redis: client, logger }),
      () => service,
    );

    it('stores entries under nomaly:<service>:idempotency with the TTLs', async () => {
      const own = `${service}-ttl`;
      const sut = new IdempotencyStore(createCache({ redis: client, logger }), {
        service: own,
        lockSeconds: 30,
        ttlSeconds: 600,
      });
      const claim = expectNew(await sut.begin('t9', 'key-ttl', 'fp'));
      const keys = await client.keys(`nomaly:${own}:*`);
      expect(keys).toHaveLength(1);
      const [entry = ''] = keys;
      expect(entry).toMatch(new RegExp(`^nomaly:${own}:idempotency:[0-9a-f]{64}$`));
      const lockTtl = await client.pttl(entry);
      expect(lockTtl).toBeGreaterThan(0);
      expect(lockTtl).toBeLessThanOrEqual(30_000);
      await claim.complete(created);
      const ttl = await client.pttl(entry);
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    });
  });

  describe('on Redis that is unreachable', () => {
    const client = createRedisClient('redis://127.0.0.1:1', logger);
    const cache = createCache({ redis: client, logger });

    afterAll(() => cache.close());

    behavesAsAnIdempotencyStore(
      () => cache,
      () => 'spec-dead',
    );
  });
});
