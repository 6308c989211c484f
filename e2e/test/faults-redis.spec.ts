/**
 * Redis stopped under a running stack (a Redis of this file's own, so no other test loses its
 * cache): Redis never holds the only copy of anything, so token exchange, detection and
 * listings keep working on cache misses and local rate limiting; every service's `/ready` stays
 * 200 but says the cache is degraded; and when Redis returns, every service reconnects by itself.
 */
import { eventually, OwnRedis } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detect,
  expectDetected,
  expectStatus,
  probe,
  trainedDetector,
  type TrainedDetector,
} from '../support/faults.js';
import { startStack, type Stack, type Tenant } from '../support/stack.js';

/** How long a service may take to notice Redis going or coming back (its probes and back-off). */
const NOTICE_MS = 15_000;

let redis: OwnRedis;
let stack: Stack;
let tenant: Tenant;
let detector: TrainedDetector;

beforeAll(async () => {
  redis = await OwnRedis.start();
  stack = await startStack({ redisUrl: redis.url });
  tenant = await stack.tenant('faults-redis');
  detector = await trainedDetector(stack, tenant.token, 'redis');
});

afterAll(async () => {
  await stack?.stop();
  await redis?.dispose();
});

/** The user-facing calls that must not depend on Redis, all through the gateway. */
async function expectServing(): Promise<void> {
  const exchanged = await stack.call<{ accessToken: string }>('/api/v1/auth/token', {
    json: { apiKey: tenant.apiKey },
  });
  expectStatus(exchanged, 200);
  const token = exchanged.body.accessToken;
  expectStatus(await stack.call('/api/v1/auth/me', { token }), 200);
  const datasets = await stack.call<{ items: Array<{ id: string }> }>('/api/v1/datasets', {
    token,
  });
  expectStatus(datasets, 200);
  expect(datasets.body.items.map((d) => d.id)).toContain(detector.datasetId);
  // The rate limiter still decides every call (on local buckets while Redis is away).
  expect(datasets.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
  expectStatus(await stack.call('/api/v1/models', { token }), 200);
  expectDetected(await detect(stack, token, detector.detectorId));
  expectDetected(await detect(stack, token, detector.detectorId, { canary: true }));
}

/** Every service's readiness as operators see it (`/ready` of each process). */
async function expectReadiness(cache: 'up' | 'degraded'): Promise<void> {
  for (const [name, service] of Object.entries(stack.services)) {
    const ready = await probe<{ ready: boolean; checks: { cache: string } }>(service, '/ready');
    expect(ready.status, name).toBe(200);
    expect(ready.body, name).toMatchObject({ ready: true, checks: { database: 'up', cache } });
  }
}

describe('Redis stopped', () => {
  it('keeps exchanging tokens, detecting and listing on its fallbacks, /ready saying the cache is degraded', async () => {
    await expectServing();
    await expectReadiness('up');

    await redis.stop();
    await eventually(() => expectReadiness('degraded'), NOTICE_MS);
    // Several rounds: the first after the outage, then on the local fallbacks for good.
    for (let round = 0; round < 3; round++) await expectServing();
    await expectReadiness('degraded');
    expect(stack.exited()).toEqual([]);
  });

  it('is back to normal once Redis returns', async () => {
    await redis.start();
    await eventually(() => expectReadiness('up'), NOTICE_MS);
    for (const service of Object.values(stack.services)) {
      expect((await probe(service, '/health/cache')).status).toBe(200);
    }
    await expectServing();
    expect(stack.exited()).toEqual([]);
  });
});
