/** Start-up refusals and per-caller rate limits, each on a service of its own. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ROOT,
  createTestDatabase,
  eventually,
  OwnRedis,
  runCli,
  startService,
  TEST_REDIS_URL,
  type RunningService,
} from './harness.js';

describe('configuration at boot', () => {
  it('refuses to start on bad values, naming every one, and never prints a secret', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: APP_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: 'eighty',
        REDIS_URL: 'http://not-redis',
        ENVIRONMENT: 'production',
        SECRET_KEY: 'too-short-secret',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(78);
    for (const name of ['PORT', 'REDIS_URL', 'SECRET_KEY', 'DATABASE_URL'])
      expect(stderr).toContain(name);
    expect(stderr).not.toContain('too-short-secret');
  });
});

describe('schema version at boot', () => {
  it('refuses to serve in production on a database with pending migrations', async () => {
    const database = await createTestDatabase();
    try {
      const child = spawn(process.execPath, ['dist/main.js'], {
        cwd: APP_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ENVIRONMENT: 'production',
          SECRET_KEY: 'p'.repeat(40),
          DATABASE_URL: database.url,
          HOST: '127.0.0.1',
          PORT: '0',
          GRPC_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).not.toBe(0);
      expect(output).toContain('InitialAuthSchema1764190000000');
      expect(output).toContain('Run the migrate command first');
    } finally {
      await database.drop();
    }
  });
});

describe('rate limiting', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: OwnRedis;
  let service: RunningService;
  let apiKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A Redis of its own: anonymous buckets are keyed by client address, and every suite
    // running meanwhile calls from 127.0.0.1 — on the machine's Redis they would share this
    // small bucket, spending and refilling it under the test.
    redis = await OwnRedis.start();
    service = await startService({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '6',
    });
    const created = await runCli(service.env, ['create-admin', '--tenant', 'limits', '--json']);
    expect(created.code, created.stderr).toBe(0);
    apiKey = (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
  });

  afterAll(async () => {
    if (service !== undefined) expect(await service.stop()).toBe(0);
    await redis?.dispose();
    await database?.drop();
  });

  it('answers 429 with Retry-After once a caller spends its burst, per caller', async () => {
    const exchange = () =>
      fetch(`${service.baseUrl}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ apiKey }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const { accessToken } = (await first.json()) as { accessToken: string };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await exchange()).status);
    expect(statuses).toContain(429);
    const limited = await exchange();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED');

    // The anonymous address is limited; the API key's own bucket is separate.
    const me = await fetch(`${service.baseUrl}/api/v1/auth/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(me.status).toBe(200);
    // Probes are never limited.
    for (let i = 0; i < 5; i++) expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('finishes requests in flight when SIGTERM arrives, then exits 0', async () => {
    const database = await createTestDatabase();
    try {
      const service = await startService({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL });
      const created = await runCli(service.env, [
        'create-admin',
        '--tenant',
        'drain',
        '--email',
        'drain@drain.test',
        '--password',
        'a long enough password',
        '--json',
      ]);
      expect(created.code, created.stderr).toBe(0);
      // Password sign-ins are slow on purpose (scrypt): several are still running at SIGTERM.
      const inFlight = Array.from({ length: 4 }, () =>
        fetch(`${service.baseUrl}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: 'drain@drain.test', password: 'a long enough password' }),
        }),
      );
      await eventually(async () => {
        expect(
          service.logs.filter((line) => line.msg === 'incoming request').length,
        ).toBeGreaterThanOrEqual(4);
        return Promise.resolve();
      }, 10_000);
      const exited = service.stop();
      const statuses = await Promise.all(inFlight.map(async (response) => (await response).status));
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(await exited).toBe(0);
      expect(
        service.logs.some((line) => line.msg === 'shutting down: draining in-flight work'),
      ).toBe(true);
    } finally {
      await database.drop();
    }
  });
});
