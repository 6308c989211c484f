/**
 * auth-service throughput and latency over real HTTP: the built service as a process (as in
 * production, telemetry on, logs at `warn` so the terminal is not the bottleneck) on this
 * machine's Postgres and Redis, loaded by autocannon for a bounded time per route. Prints a
 * Markdown table with the machine and versions.
 *
 *   npx nx run auth-service:build && npx tsx tools/bench/auth-service.ts [--seconds 10] [--connections 16]
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP = join(ROOT, 'apps', 'auth-service');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: values.database });
  await client.connect();
  await client.query(sql);
  await client.end();
}

const databaseName = `nomaly_bench_${Date.now().toString(36)}`;
await admin(`CREATE DATABASE ${databaseName}`);
const databaseUrl = new URL(values.database);
databaseUrl.pathname = `/${databaseName}`;
const port = await freePort();
const env = {
  PATH: process.env.PATH ?? '',
  ENVIRONMENT: 'test',
  HOST: '127.0.0.1',
  PORT: String(port),
  GRPC_PORT: String(await freePort()),
  DATABASE_URL: databaseUrl.toString(),
  REDIS_URL: values.redis,
  LOG_LEVEL: 'warn',
  // The limiter still runs (a Redis script per request) but never says no during the load.
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
  RATE_LIMIT_BURST: '1000000',
};
const service = spawn(
  process.execPath,
  ['--import', '@nomaly/platform-telemetry/register', 'dist/main.js'],
  {
    cwd: APP,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const base = `http://127.0.0.1:${port}`;

try {
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error('auth-service did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const created = spawnSync(
    process.execPath,
    ['dist/cli.js', 'create-admin', '--tenant', 'bench', '--json'],
    { cwd: APP, env, encoding: 'utf8' },
  );
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
  service.kill('SIGTERM');
  await once(service, 'exit');
  await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
}
