import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is libs/testing/{src,dist}/process.*). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where an app of the monorepo lives, e.g. `appRoot('auth-service')`. */
export function appRoot(app: string): string {
  return join(REPO_ROOT, 'apps', app);
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number | string };

export interface RunningService {
  readonly baseUrl: string;
  readonly grpcAddress: string;
  /** The environment it runs with: pass it to `runCli` to reach the same database. */
  readonly env: Record<string, string>;
  /** Its JSON log lines, as they arrive. */
  readonly logs: LogLine[];
  readonly process: ChildProcess;
  /** Sends SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const READY_TIMEOUT_MS = 60_000;

export interface StartOptions {
  /**
   * Environment variables that get a free loopback port each unless `env` sets them (default
   * `PORT` and `GRPC_PORT`; the gateway adds its `STATUS_PORT`).
   */
  portVariables?: readonly string[];
  /** Where readiness is polled (default `http://127.0.0.1:$PORT/ready`). */
  readyUrl?: (env: Record<string, string>) => string;
}

const DEFAULT_PORT_VARIABLES = ['PORT', 'GRPC_PORT'] as const;

/**
 * Starts a built service as production does — `node --import
 * @nomaly/platform-telemetry/register dist/main.js` — on loopback and free ports, and waits
 * until `/ready` answers 200. `env` is all it gets besides PATH and HOME: nothing leaks in from
 * the test runner's environment.
 */
export async function startService(
  app: string,
  extraEnv: Record<string, string>,
  options: StartOptions = {},
): Promise<RunningService> {
  const portVariables = options.portVariables ?? DEFAULT_PORT_VARIABLES;
  // A free port can be taken by another test process between our probe and the service's
  // bind (suites run in parallel): on that one failure, start again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(app, extraEnv, portVariables, options.readyUrl);
    } catch (error) {
      const portsChosenHere = portVariables.every((name) => extraEnv[name] === undefined);
      if (!(error instanceof PortTakenError) || !portsChosenHere || attempt === 3) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(
  app: string,
  extraEnv: Record<string, string>,
  portVariables: readonly string[],
  readyUrl: ((env: Record<string, string>) => string) | undefined,
): Promise<RunningService> {
  const ports: Record<string, string> = {};
  for (const name of portVariables) ports[name] = String(await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ENVIRONMENT: 'test',
    HOST: '127.0.0.1',
    ...ports,
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '8000',
    ...extraEnv,
  };
  const child = spawn(
    process.execPath,
    ['--import', '@nomaly/platform-telemetry/register', 'dist/main.js'],
    { cwd: appRoot(app), env, stdio: ['ignore', 'pipe', 'pipe'] },
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
  const closed = once(child, 'close').catch(() => undefined);

  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const probeUrl = readyUrl?.(env) ?? `${baseUrl}/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await closed; // every line it wrote has been read
      const output = `${stderr.join('\n')}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`;
      if (output.includes('EADDRINUSE')) throw new PortTakenError(`${app}: ${output}`);
      throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
    }
    const ready = await fetch(probeUrl).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} not ready in ${READY_TIMEOUT_MS / 1000} s:\n${stderr.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    grpcAddress: `127.0.0.1:${env.GRPC_PORT}`,
    env,
    logs,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs an app's admin command line (`dist/cli.js`) with the given environment. */
export async function runCli(
  app: string,
  env: Record<string, string>,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    cwd: appRoot(app),
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
