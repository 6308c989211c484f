/**
 * Runs the built auth-service as a real process, as production does (`node --import
 * @nomaly/platform-telemetry/register dist/main.js`), against a fresh database on the machine's PostgreSQL, so
 * tests see exactly what a user sees: real HTTP, real gRPC, real logs, real shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const APP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_DATABASE_URL =
  process.env.NOMALY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.NOMALY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A database of its own for one test file, dropped afterwards. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `nomaly_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Runs a query on a test database (for row counts and fault injection). */
export async function sql<Row = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number | string };

export interface RunningService {
  readonly baseUrl: string;
  readonly grpcAddress: string;
  readonly env: Record<string, string>;
  readonly logs: LogLine[];
  readonly process: ChildProcess;
  /** Resolves with the exit code after SIGTERM. */
  stop(): Promise<number | null>;
}

/** Starts the service and waits until `/ready` answers 200. */
export async function startService(extraEnv: Record<string, string>): Promise<RunningService> {
  const port = await freePort();
  const grpcPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ENVIRONMENT: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '8000',
    ...extraEnv,
  };
  const child = spawn(
    process.execPath,
    ['--import', '@nomaly/platform-telemetry/register', 'dist/main.js'],
    {
      cwd: APP_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ msg: line });
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `auth-service exited with ${child.exitCode}:\n${stderr.join('\n')}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/ready`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`auth-service not ready in 60 s:\n${stderr.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    env,
    logs,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the service's admin command line (`dist/cli.js`) with the same environment. */
export async function runCli(
  env: Record<string, string>,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    cwd: APP_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Polls until `check` passes or the bound elapses (then fails with the last error). */
export async function eventually<T>(check: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
