import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/index.js';
import {
  BIGINT_ID,
  clampLimit,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  toPage,
} from './pagination.js';

describe(clampLimit.name, () => {
  it('defaults, clamps and rejects non-numbers', () => {
    expect(clampLimit(undefined)).toBe(50);
    expect(clampLimit('0')).toBe(1);
    expect(clampLimit('100000')).toBe(MAX_PAGE_SIZE);
    expect(() => clampLimit('ten')).toThrow(ServiceError);
    expect(() => clampLimit('-3')).toThrow(/positive integer/);
  });
});

describe(encodeCursor.name, () => {
  it('round-trips and rejects tampered cursors', () => {
    const cursor = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: crypto.randomUUID() };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(() => decodeCursor('not base64!')).toThrow(ServiceError);
    expect(() => decodeCursor(Buffer.from('x|y').toString('base64url'))).toThrow(/cursor/);
    const numeric = { createdAt: cursor.createdAt, id: '12345' };
    expect(decodeCursor(encodeCursor(numeric), BIGINT_ID)).toEqual(numeric);
    expect(() => decodeCursor(encodeCursor(numeric))).toThrow(/cursor/);
  });
});

describe(toPage.name, () => {
  it('uses the extra row only to emit a next cursor', () => {
    const rows = [1, 2, 3].map((n) => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      createdAt: new Date(n * 1000),
    }));
    const page = toPage(rows, 2, (row) => row.id);
    expect(page.items).toEqual([rows[0]?.id, rows[1]?.id]);
    expect(decodeCursor(page.nextCursor)?.id).toBe(rows[1]?.id);
    expect(toPage(rows, 3, (row) => row.id).nextCursor).toBeUndefined();
  });
});
