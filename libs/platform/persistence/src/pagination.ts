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
