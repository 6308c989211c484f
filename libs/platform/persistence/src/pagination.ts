import { decodeCursor, toPage, type Page } from '@nomaly/platform-core';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/** A row that lists page through: ordered by creation, ties broken by id. */
export interface PageableRow extends ObjectLiteral {
  readonly id: string;
  readonly createdAt: Date;
}

/**
 * One page of a list in (created_at, id) order, after the opaque `cursor` of the previous page.
 * The query brings its own filter (always the tenant); the table needs `created_at
 * timestamptz(3)` (millisecond precision, so the cursor, a JavaScript Date, matches exactly)
 * and a uuid `id`.
 */
export async function fetchPage<Row extends PageableRow, T>(
  query: SelectQueryBuilder<Row>,
  options: { readonly limit: number; readonly cursor: string | undefined },
  map: (row: Row) => T,
): Promise<Page<T>> {
  const alias = query.alias;
  const after = decodeCursor(options.cursor);
  query
    .orderBy(`${alias}.created_at`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .take(options.limit + 1);
  if (after !== undefined) {
    query.andWhere(`(${alias}.created_at, ${alias}.id) > (:pageCreatedAt, :pageId)`, {
      pageCreatedAt: after.createdAt,
      pageId: after.id,
    });
  }
  return toPage(await query.getMany(), options.limit, map);
}

/** A raw-SQL list for {@link fetchRawPage}. */
export interface RawPageQuery<Row> {
  /** `SELECT … FROM …`, without WHERE, ORDER BY or LIMIT. */
  readonly select: string;
  /** Conditions joined by AND (always the tenant's), with `values` as their `$1`, `$2`, …. */
  readonly where: readonly string[];
  readonly values: readonly unknown[];
  /** The `timestamptz(3)` column the list is ordered by, ties broken by `id` (default `created_at`). */
  readonly orderColumn?: string;
  /** What an id in a cursor must look like (default a UUID; `BIGINT_ID` for identity keys). */
  readonly idPattern?: RegExp;
  /** A row's place in the order: its `orderColumn` value and id. */
  readonly position: (row: Row) => { readonly createdAt: Date; readonly id: string };
}

/**
 * {@link fetchPage} for lists read with raw SQL: one page in (`orderColumn`, id) order after the
 * opaque `cursor` of the previous page. `run` executes the statement (a data source's or a
 * transaction's `query`).
 */
export async function fetchRawPage<Row, T>(
  run: (sql: string, values: unknown[]) => Promise<Row[]>,
  query: RawPageQuery<Row>,
  options: { readonly limit: number; readonly cursor: string | undefined },
  map: (row: Row) => T,
): Promise<Page<T>> {
  const order = query.orderColumn ?? 'created_at';
  const where = [...query.where];
  const values = [...query.values];
  const after = decodeCursor(options.cursor, query.idPattern);
  if (after !== undefined) {
    values.push(after.createdAt, after.id);
    where.push(`(${order}, id) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(options.limit + 1);
  const rows = await run(
    `${query.select} WHERE ${where.join(' AND ')} ORDER BY ${order}, id LIMIT $${values.length}`,
    values,
  );
  const positioned = rows.map((row) => ({ ...query.position(row), row }));
  return toPage(positioned, options.limit, ({ row }) => map(row));
}
