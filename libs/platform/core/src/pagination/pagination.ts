import { ServiceError } from '../errors/index.js';

/** The documented list bounds (ARCHITECTURE.md "Lists"): `limit` is clamped, never rejected. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Position after the last row of a page, ordered by (created_at, id). */
export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

/** `?limit=`: a missing value is the default, out-of-range values are clamped to [1, max]. */
export function clampLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ServiceError('VALIDATION_FAILED', `limit must be a positive integer, got "${raw}"`);
  }
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Number(raw)));
}

/** Opaque to clients: base64url of the last row's position. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString(
    'base64url',
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids of tables keyed by a bigint identity instead of a UUID (detection results). */
export const BIGINT_ID = /^\d{1,19}$/;

/** The position a cursor holds; `id` must match `idPattern` (UUIDs unless told otherwise). */
export function decodeCursor(
  raw: string | undefined,
  idPattern: RegExp = UUID,
): Cursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  const invalid = new ServiceError('VALIDATION_FAILED', 'cursor is not one this API returned');
  if (raw.length > 200 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid;
  const [iso, id, extra] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (
    extra !== undefined ||
    id === undefined ||
    !idPattern.test(id) ||
    Number.isNaN(createdAt.getTime())
  ) {
    throw invalid;
  }
  return { createdAt, id };
}

/**
 * Builds a page from `limit + 1` rows fetched in (created_at, id) order: the extra row only
 * tells whether there is a next page.
 */
export function toPage<Row extends { createdAt: Date; id: string }, T>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    ...(rows.length > limit && last !== undefined
      ? { nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) }
      : {}),
  };
}
