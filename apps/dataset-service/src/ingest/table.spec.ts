import { Readable } from 'node:stream';
import { ServiceError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import type { Cell } from './cells.js';
import { openTable, type UploadFormat } from './table.js';

const LIMITS = { maxBytes: 1024 * 1024, maxRows: 1000, maxColumns: 10 };

/** The body in pieces of `piece` bytes, as a socket delivers it. */
function body(text: string, piece = 3): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) pieces.push(bytes.subarray(i, i + piece));
  return Readable.from(pieces);
}

async function read(
  format: UploadFormat,
  text: string,
  limits = LIMITS,
): Promise<{ columns: readonly string[]; rows: Cell[][] }> {
  const table = await openTable(format, body(text), limits);
  const rows: Cell[][] = [];
  for await (const row of table.rows) rows.push(row);
  return { columns: table.columns, rows };
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe(openTable.name, () => {
  it('reads CSV with quotes, a BOM, CRLF and empty fields as missing', async () => {
    const table = await read('csv', '\uFEFFa,b,"c d"\r\n1,"x, ""y""",\r\n2,,3\r\n');
    expect(table.columns).toEqual(['a', 'b', 'c d']);
    expect(table.rows).toEqual([
      ['1', 'x, "y"', null],
      ['2', null, '3'],
    ]);
  });

  it('reads JSON records, JSON tables and NDJSON to the same table', async () => {
    const expected = {
      columns: ['a', 'b'],
      rows: [
        [1, 'x'],
        [2.5, null],
      ],
    };
    expect(await read('json', '[{"a":1,"b":"x"},{"a":2.5}]')).toEqual(expected);
    expect(await read('json', '{"columns":["a","b"],"rows":[[1,"x"],[2.5,null]]}')).toEqual(
      expected,
    );
    expect(await read('ndjson', '{"a":1,"b":"x"}\n\n{"a":2.5,"b":null}')).toEqual(expected);
    expect((await read('json', '[{"ok":true}]')).rows).toEqual([['true']]);
  });

  it.each<[UploadFormat, string]>([
    ['csv', ''],
    ['csv', '\n\n'],
    ['json', '[]'],
    ['ndjson', ''],
  ])('rejects an empty %s file with 422', async (format, text) => {
    const error = await failure(read(format, text));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/empty/);
  });

  it.each<[UploadFormat, string]>([
    ['csv', 'a,b\n'],
    ['json', '{"columns":["a","b"],"rows":[]}'],
  ])('rejects a %s header without rows with 422', async (format, text) => {
    const error = await failure(read(format, text));
    expect(error.status).toBe(422);
    expect(error.message).toBe('The file has a header but no rows.');
  });

  it('names the line of a ragged CSV row, the record of a JSON row and the line of NDJSON', async () => {
    expect((await failure(read('csv', 'a,b\n1,2\n3\n'))).message).toBe(
      'Line 3 has 1 values; the header has 2 columns.',
    );
    expect(
      (await failure(read('json', '{"columns":["a","b"],"rows":[[1,2],[3,4,5]]}'))).message,
    ).toBe('Row 2 has 3 values; the header has 2 columns.');
    expect((await failure(read('ndjson', '{"a":1}\n{"b":2}\n'))).message).toBe(
      'Line 2 has a key "b" that the first record does not have.',
    );
    expect((await failure(read('ndjson', '{"a":1}\nnot json\n'))).message).toMatch(
      /^Line 2 is not valid JSON/,
    );
  });

  it('rejects malformed CSV and JSON, duplicate and empty column names with 422', async () => {
    for (const [format, text] of [
      ['csv', 'a,b\n"1,2\n'],
      ['json', '[{"a":1},'],
      ['json', '[{"a":{"nested":1}}]'],
      ['csv', 'a,a\n1,2\n'],
      ['csv', 'a,\n1,2\n'],
    ] as const) {
      expect((await failure(read(format, text))).status, `${format} ${text}`).toBe(422);
    }
  });

  it('stops at the byte, row and column limits with 413 naming the variable', async () => {
    const bytes = await failure(
      read('csv', `a\n${'1\n'.repeat(100)}`, { ...LIMITS, maxBytes: 50 }),
    );
    expect(bytes.status).toBe(413);
    expect(bytes.message).toContain('MAX_REQUEST_SIZE_MB');
    const rows = await failure(read('csv', `a\n${'1\n'.repeat(11)}`, { ...LIMITS, maxRows: 10 }));
    expect(rows.status).toBe(413);
    expect(rows.message).toBe('The dataset has more than 10 rows (MAX_DATASET_ROWS).');
    const columns = await failure(
      read(
        'csv',
        `${'c,'.repeat(10)}c\n`.replace(/c/g, (_, i: number) => `c${i}`),
        LIMITS,
      ),
    );
    expect(columns.status).toBe(413);
    expect(columns.message).toBe(
      'The dataset has 11 columns; at most 10 are accepted (MAX_DATASET_COLUMNS).',
    );
  });
});
