/**
 * auth-service throughput and latency over real HTTP: the built service as a process (as in
 * production, telemetry on, logs at `warn` so the terminal is not the bottleneck) on this
 * machine's Postgres and Redis, loaded by autocannon for a bounded time per route. Prints a
 * Markdown table with the machine and versions.
 *
 *   npx nx run auth-service:build && npx tsx tools/bench/auth-service.ts [--seconds 10] [--connections 16]
 *
 * Database and Redis are the test ones (`NOMALY_TEST_DATABASE_URL`, `NOMALY_TEST_REDIS_URL`).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createTestDatabase, runCli, startService, TEST_REDIS_URL } from '@nomaly/testing';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const database = await createTestDatabase();
const service = await startService('auth-service', {
  DATABASE_URL: database.url,
  REDIS_URL: TEST_REDIS_URL,
  LOG_LEVEL: 'warn',
  // The limiter still runs (a Redis script per request) but never says no during the load.
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
  RATE_LIMIT_BURST: '1000000',
});
const base = service.baseUrl;

try {
  const created = await runCli('auth-service', service.env, [
    'create-admin',
    '--tenant',
    'bench',
    '--json',
  ]);
  const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
  const tokenResponse = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiKey }),
  });
  const { accessToken } = (await tokenResponse.json()) as { accessToken: string };

  const scenarios: Array<{ name: string; options: autocannon.Options }> = [
    { name: 'GET /health (no auth, no I/O)', options: { url: `${base}/health` } },
    {
      name: 'GET /api/v1/auth/me (EdDSA verify + Redis rate limit)',
      options: {
        url: `${base}/api/v1/auth/me`,
        headers: { authorization: `Bearer ${accessToken}` },
      },
    },
    {
      name: 'POST /api/v1/auth/token (key lookup in Postgres + EdDSA sign)',
      options: {
        url: `${base}/api/v1/auth/token`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey }),
      },
    },
    { name: 'GET /.well-known/jwks.json', options: { url: `${base}/.well-known/jwks.json` } },
  ];

  const rows: string[] = [];
  for (const scenario of scenarios) {
    // A short warm-up so JIT and pools are settled before the measured run.
    await autocannon({ ...scenario.options, connections, duration: 2 });
    const result = await autocannon({ ...scenario.options, connections, duration: seconds });
    rows.push(
      `| ${scenario.name} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx + result.errors} |`,
    );
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `auth-service, ${connections} connections, ${seconds} s per route after a 2 s warm-up\n` +
      `machine: ${cpus().length} × ${cpu}; Node ${process.version}; PostgreSQL and Redis on the same machine\n`,
  );
  console.log('| route | requests/s | p50 ms | p99 ms | non-2xx + errors |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
} finally {
  await service.stop();
  await database.drop();
}
