import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseLogger } from '../src/types.js';

/** The machine's PostgreSQL (trust auth on loopback); tests never stop it. */
export const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A throwaway database on the machine's server, so no test depends on earlier data. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Terminates the database's connections, then drops it. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `nomaly_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await admin(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on the admin connection of the machine's server. */
export function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return queryOnce<R>(ADMIN_URL, sql, values);
}

/** Runs one statement on a connection of its own, closed afterwards. */
export async function queryOnce<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client(url);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query<R>(sql, values);
  } finally {
    await client.end();
  }
}

/** A logger that keeps what it was given, for assertions; pass `echo` to see it while debugging. */
export function recordingLogger(): DatabaseLogger & {
  entries: Array<{ level: string; obj: object; msg: string | undefined }>;
} {
  const entries: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj, msg });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
