/**
 * Rate limits through the gateway (OWASP API4), on a stack with small buckets and a Redis of its
 * own: a burst from one API key is cut off with 429, `Retry-After` and the `RateLimit-*`
 * headers; other tenants and the tenant's other keys keep their own buckets; waiting as long as
 * `Retry-After` says is enough. Anonymous calls are limited per client address, and a client
 * cannot pick a fresh address by sending its own `X-Forwarded-For`.
 */
import { OwnRedis } from '@nomaly/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem, expectStatus } from '../support/abuse.js';
import { startStack, type ApiResponse, type Stack, type Tenant } from '../support/stack.js';

/** The detector-service's bucket: 5 at once, then one every 5 s. */
const BURST = 5;
const PER_MINUTE = 12;
/** The auth-service's: anonymous token exchanges per client address, one a minute once spent. */
const AUTH_BURST = 10;
const AUTH_PER_MINUTE = 1;

let redis: OwnRedis;
let stack: Stack;
let acme: Tenant;
let globex: Tenant;
/** A second key of acme's, with a bucket of its own. */
let acmeSecondToken: string;

beforeAll(async () => {
  redis = await OwnRedis.start();
  const detector = {
    RATE_LIMIT_BURST: String(BURST),
    RATE_LIMIT_REQUESTS_PER_MINUTE: String(PER_MINUTE),
  };
  stack = await startStack({
    redisUrl: redis.url,
    env: {
      'auth-service': {
        RATE_LIMIT_BURST: String(AUTH_BURST),
        RATE_LIMIT_REQUESTS_PER_MINUTE: String(AUTH_PER_MINUTE),
      },
      'detector-service': detector,
      'detector-canary': detector,
    },
  });
  [acme, globex] = await Promise.all([stack.tenant('acme'), stack.tenant('globex')]);
  const key = expectStatus<{ key: string }>(
    await stack.call('/api/v1/auth/api-keys', {
      token: acme.token,
      json: { name: 'second', roles: ['viewer'] },
    }),
    201,
  );
  acmeSecondToken = expectStatus<{ accessToken: string }>(
    await stack.call('/api/v1/auth/token', { json: { apiKey: key.key } }),
    200,
  ).accessToken;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await redis?.dispose();
});

let counts: Record<string, number>;

beforeEach(async () => {
  counts = await stack.rowCounts();
});

afterEach(async () => {
  // Limited or not, nothing here writes: no row appears or goes, and every process still runs.
  expect(await stack.rowCounts()).toEqual(counts);
  expect(stack.exited()).toEqual([]);
});

const header = (answer: ApiResponse, name: string): number => {
  const value = answer.headers.get(name);
  expect(value, `${name} on a ${answer.status}`).toMatch(/^\d+$/);
  return Number(value);
};

describe('rate limits', () => {
  it('a burst gets 429 with Retry-After and RateLimit headers; others are unaffected; it lifts after Retry-After', async () => {
    const sent = 3 * BURST;
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: sent }, () => stack.call('/api/v1/detectors', { token: acme.token })),
    );
    const seconds = (performance.now() - started) / 1000;
    const passed = answers.filter((answer) => answer.status === 200);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(passed.length + limited.length, answers.map((a) => a.status).join(' ')).toBe(sent);
    // The bucket starts full and refills at PER_MINUTE / 60 a second while the burst is in flight.
    expect(passed.length).toBeGreaterThanOrEqual(BURST);
    expect(passed.length).toBeLessThanOrEqual(BURST + Math.ceil((seconds * PER_MINUTE) / 60));
    expect(limited.length).toBeGreaterThan(0);

    for (const answer of passed) {
      expect(header(answer, 'ratelimit-limit')).toBe(BURST);
      expect(header(answer, 'ratelimit-remaining')).toBeLessThan(BURST);
    }
    const waits: number[] = [];
    for (const answer of limited) {
      expect(expectProblem(answer, 429, 'RATE_LIMITED').detail).toMatch(/retry after/i);
      const retryAfter = header(answer, 'retry-after');
      // One token is missing at most, and one comes back every 60 / PER_MINUTE seconds.
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(60 / PER_MINUTE));
      expect(header(answer, 'ratelimit-limit')).toBe(BURST);
      expect(header(answer, 'ratelimit-remaining')).toBe(0);
      const reset = header(answer, 'ratelimit-reset');
      expect(reset).toBeGreaterThanOrEqual(retryAfter);
      expect(reset).toBeLessThanOrEqual(Math.ceil((BURST * 60) / PER_MINUTE));
      waits.push(retryAfter);
    }

    // Another tenant, and another key of the same tenant, each have a full bucket.
    for (const token of [globex.token, acmeSecondToken]) {
      const answer = await stack.call('/api/v1/detectors', { token });
      expectStatus(answer, 200);
      expect(header(answer, 'ratelimit-remaining')).toBe(BURST - 1);
    }
    // acme waits as long as it was told to: what is under test is that Retry-After is enough,
    // so the wait is exactly that, not a poll until the limit happens to lift.
    const wait = Math.max(...waits);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    expectStatus(await stack.call('/api/v1/detectors', { token: acme.token }), 200);
  }, 60_000);

  it('anonymous calls are limited per client address, which X-Forwarded-For cannot change', async () => {
    const bogus = { apiKey: 'nmly_abuse_not_a_key' };
    const answers = await Promise.all(
      Array.from({ length: AUTH_BURST + 2 }, () =>
        stack.call('/api/v1/auth/token', { json: bogus }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    for (const status of statuses) expect([401, 429], statuses.join(' ')).toContain(status);
    // The setup's token exchanges spent part of this address's bucket already.
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);
    for (const answer of answers.filter(({ status }) => status === 429)) {
      expect(header(answer, 'retry-after')).toBeGreaterThanOrEqual(1);
    }

    // A client naming another address for itself still counts as itself.
    for (const forwarded of ['198.51.100.7', '198.51.100.8, 203.0.113.9', '127.0.0.2']) {
      const answer = await stack.call('/api/v1/auth/token', {
        json: bogus,
        headers: { 'X-Forwarded-For': forwarded },
      });
      expect.soft(answer.status, `X-Forwarded-For: ${forwarded}: ${answer.text}`).toBe(429);
    }
  });
});
