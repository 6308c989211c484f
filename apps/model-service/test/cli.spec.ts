/**
 * The admin command line against a real Postgres: the model schema is migrated explicitly,
 * forwards and back, as the Helm pre-upgrade Job does in staging and production.
 */
import { createTestDatabase, sql, type TestDatabase } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './harness.js';

let database: TestDatabase;
let env: Record<string, string>;

const tables = async (): Promise<string[]> =>
  (
    await sql<{ table_name: string }>(
      database.url,
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'model' AND table_name <> 'migrations' ORDER BY table_name`,
    )
  ).map((row) => row.table_name);

beforeAll(async () => {
  database = await createTestDatabase();
  env = { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  await database?.drop();
});

describe('model-service migrate', () => {
  it('lists, applies and reverts the model schema', async () => {
    const before = await runCli(env, ['migrate', 'status']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('[ ] InitialModelSchema1764300000000');
    expect(before.stdout).toContain('[ ] VersionPublishKey1764700000000');

    const up = await runCli(env, ['migrate', 'up']);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('applied InitialModelSchema1764300000000');
    expect(up.stdout).toContain('applied VersionPublishKey1764700000000');
    expect(await tables()).toEqual([
      'model_alias_history',
      'model_aliases',
      'model_versions',
      'models',
    ]);
    expect((await runCli(env, ['migrate', 'up'])).stdout).toContain('no pending migrations');

    // One migration per `down`, newest first.
    const down = await runCli(env, ['migrate', 'down']);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('reverted VersionPublishKey1764700000000');
    expect((await runCli(env, ['migrate', 'status'])).stdout).toContain(
      '[x] InitialModelSchema1764300000000',
    );
    const last = await runCli(env, ['migrate', 'down']);
    expect(last.code).toBe(0);
    expect(last.stdout).toContain('reverted InitialModelSchema1764300000000');
    expect(await tables()).toEqual([]);
  });

  it('answers a usage error with 2 and a malformed environment with 78', async () => {
    expect((await runCli(env, ['migrate', 'sideways'])).code).toBe(2);
    expect((await runCli(env, ['publish'])).code).toBe(2);
    const broken = await runCli({ ...env, DATABASE_URL: 'mysql://nope' }, ['migrate', 'status']);
    expect(broken.code).toBe(78);
    expect(broken.stderr).toContain('DATABASE_URL');
  });
});
