import { BIGINT_ID } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, queryOnce, type TestDatabase } from '../test/postgres.js';
import { fetchRawPage } from './pagination.js';

interface EventRow {
  id: string;
  tenant: string;
  at: Date;
}

let database: TestDatabase;

/** 25 events of tenant a (several sharing a millisecond) and 5 of tenant b, bigint ids. */
beforeAll(async () => {
  database = await createTestDatabase();
  await queryOnce(
    database.url,
    `CREATE TABLE events (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       tenant text NOT NULL,
       at timestamptz(3) NOT NULL)`,
  );
  await queryOnce(
    database.url,
    `INSERT INTO events (tenant, at)
       SELECT CASE WHEN i % 6 = 0 THEN 'b' ELSE 'a' END,
              timestamptz '2026-01-01 00:00:00+00' + (i / 4) * interval '1 millisecond'
         FROM generate_series(29, 0, -1) AS i`,
  );
});

afterAll(async () => {
  await database?.drop();
});

const run = async (sql: string, values: unknown[]): Promise<EventRow[]> =>
  (await queryOnce<EventRow>(database.url, sql, values)).rows;

const query = {
  select: 'SELECT id, tenant, at FROM events',
  where: ['tenant = $1'],
  values: ['a'],
  orderColumn: 'at',
  idPattern: BIGINT_ID,
  position: (row: EventRow) => ({ createdAt: row.at, id: row.id }),
};

describe(fetchRawPage.name, () => {
  it('pages through every matching row once, in (order column, id) order, ties included', async () => {
    const seen: EventRow[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await fetchRawPage(run, query, { limit: 4, cursor }, (row) => row);
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(25);
    expect(pages).toBe(7);
    expect(seen.every((row) => row.tenant === 'a')).toBe(true);
    const keys = seen.map((row) => [row.at.getTime(), BigInt(row.id)] as const);
    const sorted = [...keys].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
    expect(keys).toEqual(sorted);
    expect(new Set(seen.map((row) => row.id)).size).toBe(25);
  });

  it('gives no next cursor on the last page, and maps each row', async () => {
    const page = await fetchRawPage(run, query, { limit: 100, cursor: undefined }, (row) => row.id);
    expect(page.items).toHaveLength(25);
    expect(page.nextCursor).toBeUndefined();
    expect(typeof page.items[0]).toBe('string');
  });

  it('refuses a cursor this list did not make (a UUID where ids are bigints)', async () => {
    const foreign = Buffer.from(`2026-01-01T00:00:00.000Z|${crypto.randomUUID()}`, 'utf8').toString(
      'base64url',
    );
    await expect(
      fetchRawPage(run, query, { limit: 4, cursor: foreign }, (row) => row),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
