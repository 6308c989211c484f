import pg from 'pg';

/** The machine's PostgreSQL (trust auth); each test file makes a database of its own on it. */
export const ADMIN_DATABASE_URL =
  process.env.NOMALY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.NOMALY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** Drops the database, ending its connections first. */
  drop(): Promise<void>;
}

/** A fresh, empty database, so no test depends on data left by another or by an earlier run. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `nomaly_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await sql(ADMIN_DATABASE_URL, `CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await sql(ADMIN_DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on its own connection (row counts, fault injection). */
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
