import type { QueryRunner } from 'typeorm';
import type { ChunkEncoding } from '../storage/chunk-codec.js';
import type { ChunkStore, StoredChunk } from '../storage/dataset-ingest.js';

/** Rows per multi-row INSERT: 10 parameters a chunk, far below Postgres' 65,535. */
const INSERT_BATCH = 200;
/** Chunks fetched per query when a column is read back: bounds memory, not the column length. */
const READ_BATCH = 32;

interface ChunkRow {
  column_index: number;
  chunk_index: number;
  row_offset: string;
  row_count: number;
  encoding: ChunkEncoding;
  payload: Buffer;
  checksum: Buffer;
}

function toChunk(row: ChunkRow): StoredChunk {
  return {
    columnIndex: row.column_index,
    chunkIndex: row.chunk_index,
    rowOffset: Number(row.row_offset),
    rowCount: row.row_count,
    encoding: row.encoding,
    payload: row.payload,
    checksum: row.checksum,
  };
}

/** `dataset_chunks` of one dataset inside an open transaction: the store the writer fills. */
export class TransactionChunkStore implements ChunkStore {
  constructor(
    private readonly runner: QueryRunner,
    private readonly datasetId: string,
    private readonly tenantId: string,
  ) {}

  async write(chunks: readonly StoredChunk[]): Promise<void> {
    for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
      const batch = chunks.slice(start, start + INSERT_BATCH);
      const values: unknown[] = [];
      const tuples = batch.map((chunk, i) => {
        values.push(
          this.datasetId,
          this.tenantId,
          chunk.columnIndex,
          chunk.chunkIndex,
          chunk.rowOffset,
          chunk.rowCount,
          chunk.encoding,
          chunk.payload,
          chunk.checksum,
        );
        const p = i * 9;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}, $${p + 9})`;
      });
      await this.runner.query(
        `INSERT INTO dataset_chunks
           (dataset_id, tenant_id, column_index, chunk_index, row_offset, row_count, encoding, payload, checksum)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }

  column(columnIndex: number): AsyncIterable<StoredChunk> {
    return readColumn(
      (sql, params) => this.runner.query(sql, params),
      this.datasetId,
      this.tenantId,
      columnIndex,
    );
  }
}

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/** One column's chunks in row order, fetched a batch at a time. */
export async function* readColumn(
  query: Query,
  datasetId: string,
  tenantId: string,
  columnIndex: number,
): AsyncGenerator<StoredChunk> {
  for (let from = 0; ; from += READ_BATCH) {
    const rows = (await query(
      `SELECT column_index, chunk_index, row_offset, row_count, encoding, payload, checksum
         FROM dataset_chunks
        WHERE dataset_id = $1 AND tenant_id = $2 AND column_index = $3
          AND chunk_index >= $4 AND chunk_index < $5
        ORDER BY chunk_index`,
      [datasetId, tenantId, columnIndex, from, from + READ_BATCH],
    )) as ChunkRow[];
    for (const row of rows) yield toChunk(row);
    if (rows.length < READ_BATCH) return;
  }
}

/** The chunks of the given columns for one range of rows (one chunk index), by column index. */
export async function readChunkRow(
  query: Query,
  datasetId: string,
  tenantId: string,
  chunkIndex: number,
  columnIndexes: readonly number[],
): Promise<Map<number, StoredChunk>> {
  const rows = (await query(
    `SELECT column_index, chunk_index, row_offset, row_count, encoding, payload, checksum
       FROM dataset_chunks
      WHERE dataset_id = $1 AND tenant_id = $2 AND chunk_index = $3 AND column_index = ANY($4::int[])`,
    [datasetId, tenantId, chunkIndex, [...columnIndexes]],
  )) as ChunkRow[];
  return new Map(rows.map((row) => [row.column_index, toChunk(row)]));
}
