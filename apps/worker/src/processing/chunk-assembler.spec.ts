import { ChunkPlan } from '@nomaly/jobs';
import { ServiceError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler, type RowsMessage } from './chunk-assembler.js';

/** Column-major messages of `sizes` rows each, starting at `from`: value = row * 10 + column. */
function messages(from: number, sizes: number[], cols = 2): RowsMessage[] {
  const out: RowsMessage[] = [];
  let row = from;
  for (const size of sizes) {
    out.push({
      rowOffset: row,
      rowCount: size,
      columns: Array.from({ length: cols }, (_, j) => ({
        values: Array.from({ length: size }, (_, i) => (row + i) * 10 + j),
      })),
    });
    row += size;
  }
  return out;
}

function rowMajor(offset: number, rows: number, cols = 2): number[] {
  return Array.from(
    { length: rows * cols },
    (_, k) => (offset + Math.floor(k / cols)) * 10 + (k % cols),
  );
}

describe(ChunkAssembler.name, () => {
  it('cuts messages of any size into the plan’s chunks, row-major', () => {
    const sut = new ChunkAssembler(new ChunkPlan(25, 10), 2, 0);
    const chunks = messages(0, [3, 9, 1, 12]).flatMap((m) => sut.push(m));
    sut.finish();
    expect(chunks.map((c) => [c.index, c.offset, c.rows])).toEqual([
      [0, 0, 10],
      [1, 10, 10],
      [2, 20, 5],
    ]);
    for (const chunk of chunks) {
      expect(Array.from(chunk.values)).toEqual(rowMajor(chunk.offset, chunk.rows));
    }
  });

  it('starts at a later chunk when the earlier ones are stored (a resumed job)', () => {
    const sut = new ChunkAssembler(new ChunkPlan(25, 10), 2, 1);
    expect(sut.nextRow).toBe(10);
    const chunks = messages(10, [15]).flatMap((m) => sut.push(m));
    sut.finish();
    expect(chunks.map((c) => c.index)).toEqual([1, 2]);
    expect(Array.from(chunks[1]?.values ?? [])).toEqual(rowMajor(20, 5));
  });

  it('refuses a broken stream, naming the row', () => {
    const sut = new ChunkAssembler(new ChunkPlan(25, 10), 2, 0);
    expect(() => sut.push(messages(5, [3])[0] as RowsMessage)).toThrow(
      /expected row 0, got a message at row 5/,
    );
    expect(() => sut.push(messages(0, [3], 3)[0] as RowsMessage)).toThrow(/3 columns, expected 2/);
    const ragged = messages(0, [3])[0] as RowsMessage;
    expect(() => sut.push({ ...ragged, columns: [ragged.columns[0]!, { values: [1] }] })).toThrow(
      /a column has 1 values for 3 rows/,
    );
    expect(() => sut.push(messages(0, [26])[0] as RowsMessage)).toThrow(
      /run past the dataset's 25/,
    );
  });

  it('reports a stream that ended early as a dependency failure worth a retry', () => {
    const sut = new ChunkAssembler(new ChunkPlan(25, 10), 2, 0);
    messages(0, [12]).forEach((m) => sut.push(m));
    let thrown: unknown;
    try {
      sut.finish();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ServiceError);
    expect(thrown).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect((thrown as Error).message).toContain('row 12 of 25');
  });
});
