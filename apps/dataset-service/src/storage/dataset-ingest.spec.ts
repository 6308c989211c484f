import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openTable, type UploadFormat } from '../ingest/table.js';
import { decodeChunk } from './chunk-codec.js';
import { ingestTable, type ChunkStore, type StoredChunk } from './dataset-ingest.js';

/** The store as a list: what the database transaction does, without the database. */
class MemoryStore implements ChunkStore {
  readonly chunks: StoredChunk[] = [];
  write(chunks: readonly StoredChunk[]): Promise<void> {
    this.chunks.push(...chunks);
    return Promise.resolve();
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- memory has nothing to wait for
  async *column(columnIndex: number): AsyncIterable<StoredChunk> {
    for (const chunk of this.chunks) if (chunk.columnIndex === columnIndex) yield chunk;
  }
}

const LIMITS = { maxBytes: 10 * 1024 * 1024, maxRows: 100_000, maxColumns: 100 };

async function ingest(
  text: string,
  options: { labelColumn?: string; chunkRows?: number } = {},
  format: UploadFormat = 'csv',
) {
  const store = new MemoryStore();
  const table = await openTable(format, Readable.from([Buffer.from(text)]), LIMITS);
  return { store, result: await ingestTable(table, store, options) };
}

async function readColumn(store: MemoryStore, index: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const chunk of store.column(index)) {
    const decoded = await decodeChunk(chunk, chunk.rowCount);
    out.push(...decoded.values);
  }
  return out;
}

const CSV = [
  'x,city,when,dup_x,const,label',
  '1,Paris,2024-01-01,1,7,0',
  '2,Oslo,2024-01-02,2,7,0',
  '3,Paris,2024-01-03,3,7,1',
  '4,,2024-01-04,4,7,0',
  '1,Paris,2024-01-01,1,7,0',
].join('\n');

describe(ingestTable.name, () => {
  it('infers types, computes statistics and the quality report by hand', async () => {
    const { result } = await ingest(CSV);
    expect(result.rows).toBe(5);
    expect(result.labelColumn).toBe('label');
    expect(result.columns.map((c) => [c.name, c.type, c.role])).toEqual([
      ['x', 'numeric', 'feature'],
      ['city', 'categorical', 'feature'],
      ['when', 'timestamp', 'feature'],
      ['dup_x', 'numeric', 'feature'],
      ['const', 'numeric', 'feature'],
      ['label', 'numeric', 'label'],
    ]);
    // x = 1, 2, 3, 4, 1: mean 11/5; squared deviations 1.44+0.04+0.64+3.24+1.44 = 6.8, /4.
    const x = result.columns[0]!;
    expect(x).toMatchObject({ count: 5, missing: 0, min: 1, max: 4, p25: 1, p50: 2, p75: 3 });
    expect(x.mean).toBeCloseTo(2.2, 12);
    expect(x.std).toBeCloseTo(Math.sqrt(1.7), 12);
    expect(result.columns[1]).toMatchObject({
      count: 4,
      missing: 1,
      unique: 2,
      top: [
        { value: 'Paris', count: 3 },
        { value: 'Oslo', count: 1 },
      ],
    });
    expect(result.columns[2]).toMatchObject({
      min: '2024-01-01T00:00:00.000Z',
      max: '2024-01-04T00:00:00.000Z',
    });
    expect(result.quality).toEqual({
      missingValues: { total: 1, byColumn: { city: 1 } },
      nonFiniteValues: { total: 0, byColumn: {} },
      constantColumns: ['const'],
      duplicateColumns: [['x', 'dup_x']],
      duplicateRows: 1,
    });
    expect(result.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores column chunks that read back to the uploaded values', async () => {
    const { store, result } = await ingest(CSV, { chunkRows: 2 });
    expect(result.chunks).toBe(3);
    expect(
      store.chunks.map((c) => [c.columnIndex, c.chunkIndex, c.rowOffset, c.rowCount]).slice(0, 3),
    ).toEqual([
      [0, 0, 0, 2],
      [1, 0, 0, 2],
      [2, 0, 0, 2],
    ]);
    expect(await readColumn(store, 0)).toEqual([1, 2, 3, 4, 1]);
    expect(await readColumn(store, 1)).toEqual(['Paris', 'Oslo', 'Paris', null, 'Paris']);
    expect(await readColumn(store, 2)).toEqual([
      '2024-01-01',
      '2024-01-02',
      '2024-01-03',
      '2024-01-04',
      '2024-01-01',
    ]);
  });

  it('gives the same checksum for the same data in any format, another for any changed value', async () => {
    const csv = (await ingest('a,b\n1,x\n2,y\n')).result.checksum;
    const json = (await ingest('[{"a":1,"b":"x"},{"a":2,"b":"y"}]', {}, 'json')).result.checksum;
    const changed = (await ingest('a,b\n1,x\n2,z\n')).result.checksum;
    expect(json).toBe(csv);
    expect(changed).not.toBe(csv);
  });

  it('keeps non-finite values apart from missing ones and out of the statistics', async () => {
    // A blank line is skipped (as pandas does), so the missing value sits beside another column.
    const { store, result } = await ingest('v,w\n1,a\nNaN,a\n,a\ninf,a\n3,a\n');
    expect(result.columns[0]).toMatchObject({
      type: 'numeric',
      count: 4,
      missing: 1,
      nonFinite: 2,
      mean: 2,
      p50: 2,
    });
    expect(result.quality.nonFiniteValues).toEqual({ total: 2, byColumn: { v: 2 } });
    const [chunk] = store.chunks;
    const decoded = await decodeChunk(chunk!, chunk!.rowCount);
    expect(decoded.kind === 'numbers' && [...decoded.values]).toEqual([
      1,
      Number.NaN,
      Number.NaN,
      Infinity,
      3,
    ]);
  });

  it('explains a numeric-looking column that one value made categorical', async () => {
    const { result } = await ingest('v\n1\n2\noops\n');
    expect(result.columns[0]).toMatchObject({
      type: 'categorical',
      note: 'categorical: 2 of 3 values are numbers, but "oops" is not',
    });
  });

  it('uses ?labelColumn= over the name "label" and rejects an unknown one', async () => {
    expect((await ingest('y,label\n1,2\n', { labelColumn: 'y' })).result.labelColumn).toBe('y');
    await expect(ingest('y\n1\n', { labelColumn: 'nope' })).rejects.toThrow(
      'labelColumn "nope" is not a column',
    );
  });
});
