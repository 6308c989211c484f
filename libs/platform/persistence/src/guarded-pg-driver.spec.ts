import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createTestDatabase, type TestDatabase } from '../test/postgres.js';
import { guardedPgDriver } from './guarded-pg-driver.js';

describe(guardedPgDriver.name, () => {
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });

  afterAll(async () => {
    await testDatabase.drop();
  });

  it('keeps a checked-out client that loses its server from crashing the process', async () => {
    const errors: Error[] = [];
    const pools: pg.Pool[] = [];
    const { driver } = guardedPgDriver(
      (error) => errors.push(error),
      (pool) => pools.push(pool),
    );
    const applicationName = `nomaly-guard-${randomBytes(4).toString('hex')}`;
    const sut = new driver.Pool({
      connectionString: testDatabase.url,
      application_name: applicationName,
      max: 2,
    });
    expect(pools).toEqual([sut]);
    const crashes: unknown[] = [];
    const onCrash = (error: unknown): void => {
      crashes.push(error);
    };
    // One client checked out and quiet (pg-pool no longer listens to it), one idle in the pool.
    const [checkedOut, idle] = await Promise.all([sut.connect(), sut.connect()]);
    idle.release();
    process.on('uncaughtException', onCrash);
    try {
      await admin(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      for (const deadline = Date.now() + 5_000; errors.length < 2 && Date.now() < deadline;) {
        await sleep(20);
      }
      await sleep(100); // room for a second error from the same connection, which must not count

      expect(crashes).toEqual([]);
      expect(errors.map((error) => error.message)).toEqual([
        'terminating connection due to administrator command',
        'terminating connection due to administrator command',
      ]);
    } finally {
      checkedOut.release(true);
      process.off('uncaughtException', onCrash);
    }
    const { rows } = await sut.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
    await sut.end();
  });
});
