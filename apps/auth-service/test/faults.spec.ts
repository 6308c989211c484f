/**
 * Dependency faults while the service runs: its Postgres connections killed and the database
 * refusing connections, and its Redis killed and restarted. The service must not crash, `/ready`
 * must say what is wrong, and it must recover by itself within 15 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  eventually,
  runCli,
  sql,
  startService,
  ADMIN_DATABASE_URL,
  OwnRedis,
  type RunningService,
} from './harness.js';

const RECOVERY_MS = 15_000;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningService;
let redis: OwnRedis;
let apiKey: string;

async function json(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${service.baseUrl}${path}`, init);
  return { status: response.status, body: await response.json() };
}

async function exchange(): Promise<number> {
  const response = await fetch(`${service.baseUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiKey }),
  });
  return response.status;
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await OwnRedis.start();
  service = await startService({
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
  });
  const created = await runCli(service.env, ['create-admin', '--tenant', 'faults', '--json']);
  expect(created.code, created.stderr).toBe(0);
  apiKey = (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
});

afterAll(async () => {
  if (service !== undefined) expect(await service.stop()).toBe(0);
  await redis?.dispose();
  if (database !== undefined) {
    await sql(
      ADMIN_DATABASE_URL,
      `ALTER DATABASE ${new URL(database.url).pathname.slice(1)} ALLOW_CONNECTIONS true`,
    );
    await database.drop();
  }
});

describe('Postgres faults', () => {
  it('survives pg_terminate_backend of all its connections and serves the next request', async () => {
    expect(await exchange()).toBe(200);
    const killed = await sql<{ pid: number }>(
      ADMIN_DATABASE_URL,
      `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
        WHERE application_name = 'nomaly-auth-service' AND datname = $1`,
      [new URL(database.url).pathname.slice(1)],
    );
    expect(killed.length).toBeGreaterThan(0);
    await eventually(async () => expect(await exchange()).toBe(200), RECOVERY_MS);
    expect(service.process.exitCode).toBeNull();
  });

  it('reports not ready while the database refuses connections, and recovers on its own', async () => {
    const name = new URL(database.url).pathname.slice(1);
    await sql(ADMIN_DATABASE_URL, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await sql(
      ADMIN_DATABASE_URL,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`,
      [name],
    );
    await eventually(async () => {
      const ready = await json('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ready: false, checks: { database: 'down' } });
    }, RECOVERY_MS);
    expect((await json('/health')).status).toBe(200);
    const during = await fetch(`${service.baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    expect(during.status).toBeGreaterThanOrEqual(500);
    expect(during.headers.get('content-type')).toMatch(/problem\+json/);

    await sql(ADMIN_DATABASE_URL, `ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await eventually(async () => {
      expect((await json('/ready')).status).toBe(200);
      expect(await exchange()).toBe(200);
    }, RECOVERY_MS);
    expect(service.process.exitCode).toBeNull();
  });
});

describe('Redis faults', () => {
  it('keeps serving when Redis stops, reports the cache down, and reconnects when it returns', async () => {
    await redis.stop();
    await eventually(async () => {
      const cache = await json('/health/cache');
      expect(cache.status).toBe(503);
    }, RECOVERY_MS);
    const ready = await json('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, checks: { cache: 'degraded' } });
    // Token exchange and an authenticated, rate-limited call keep working on local fallbacks.
    expect(await exchange()).toBe(200);
    const token = (
      (await (
        await fetch(`${service.baseUrl}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ apiKey }),
        })
      ).json()) as { accessToken: string }
    ).accessToken;
    const me = await fetch(`${service.baseUrl}/api/v1/auth/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);

    await redis.start();
    await eventually(async () => {
      expect((await json('/health/cache')).status).toBe(200);
      expect((await json('/ready')).body).toMatchObject({ checks: { cache: 'up' } });
    }, RECOVERY_MS);
    expect(service.process.exitCode).toBeNull();
    expect(service.logs.some((line) => /uncaught|unhandled/i.test(String(line.msg)))).toBe(false);
  });
});
