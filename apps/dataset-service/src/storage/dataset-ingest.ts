import { createHash, type Hash } from 'node:crypto';
import { ServiceError } from '@nomaly/platform-core';
import { numberOf, textOf, type Cell } from '../ingest/cells.js';
import type { Table } from '../ingest/table.js';
import {
  ColumnProfiler,
  withQuantiles,
  type ColumnStats,
  type ColumnType,
} from '../profile/column-profile.js';
import { GrowableFloat64, quantileSorted } from '../profile/quantiles.js';
import { DuplicateRowCounter } from '../profile/row-hash.js';
import {
  decodeChunk,
  encodeChunk,
  isMissingAt,
  missingBitmap,
  type ChunkEncoding,
  type ChunkValues,
} from './chunk-codec.js';

/** Cells held in memory per chunk across all columns: memory stays bounded whatever the width. */
export const CELLS_PER_CHUNK = 262_144;
export const MAX_CHUNK_ROWS = 65_536;
const MIN_CHUNK_ROWS = 64;

/** Rows per stored chunk for a table of `columns` columns. */
export function chunkRowsFor(columns: number): number {
  return Math.min(MAX_CHUNK_ROWS, Math.max(MIN_CHUNK_ROWS, Math.floor(CELLS_PER_CHUNK / columns)));
}

/** A chunk as the store keeps it. */
export interface StoredChunk {
  readonly columnIndex: number;
  readonly chunkIndex: number;
  readonly rowOffset: number;
  readonly rowCount: number;
  readonly encoding: ChunkEncoding;
  readonly payload: Buffer;
  readonly checksum: Buffer;
}

/** Where chunks go while a dataset is written (a database transaction, or memory in tests). */
export interface ChunkStore {
  /** Stores the chunks of one range of rows, one per column. */
  write(chunks: readonly StoredChunk[]): Promise<void>;
  /** Reads one column's chunks back in row order. */
  column(columnIndex: number): AsyncIterable<StoredChunk>;
}

/** One column of a stored dataset, as the API shows it. */
export interface ColumnSummary extends ColumnStats {
  readonly name: string;
  readonly index: number;
  readonly type: ColumnType;
  /** `label` for the label column, `feature` otherwise. */
  readonly role: 'feature' | 'label';
  /** Why a column is categorical when some of its values are numbers. */
  readonly note?: string;
}

/** The data-quality findings of a dataset. */
export interface QualityReport {
  readonly missingValues: { readonly total: number; readonly byColumn: Record<string, number> };
  readonly nonFiniteValues: { readonly total: number; readonly byColumn: Record<string, number> };
  /** Columns with fewer than two distinct present values. */
  readonly constantColumns: string[];
  /** Groups of columns with identical values, each in file order. */
  readonly duplicateColumns: string[][];
  /** Rows equal to an earlier row. */
  readonly duplicateRows: number;
}

export interface IngestResult {
  readonly rows: number;
  readonly columns: ColumnSummary[];
  readonly labelColumn: string | undefined;
  /** SHA-256 (hex) of the canonical column data; see {@link datasetChecksum}. */
  readonly checksum: string;
  readonly quality: QualityReport;
  readonly chunkRows: number;
  readonly chunks: number;
  readonly bytes: number;
}

/** The label column: `labelColumn` when given (it must exist), else a column named `label`. */
export function resolveLabelColumn(
  columns: readonly string[],
  requested: string | undefined,
): string | undefined {
  if (requested !== undefined) {
    if (!columns.includes(requested)) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `labelColumn "${requested}" is not a column of the file.`,
        {
          status: 422,
          errors: [{ field: 'labelColumn', message: 'is not a column of the file' }],
        },
      );
    }
    return requested;
  }
  return columns.includes('label') ? 'label' : undefined;
}

/**
 * The cells of one column for one chunk, encoded by what they hold: all numbers (or missing)
 * as doubles, anything else as text exactly as uploaded.
 */
function chunkValues(cells: readonly Cell[]): ChunkValues {
  const numbers = new Float64Array(cells.length);
  let numeric = true;
  for (let i = 0; i < cells.length && numeric; i++) {
    const cell = cells[i]!;
    const text = textOf(cell);
    if (text === null) {
      numbers[i] = Number.NaN;
      continue;
    }
    const value = numberOf(cell);
    if (value === undefined) numeric = false;
    else numbers[i] = value;
  }
  if (numeric) {
    return {
      kind: 'numbers',
      values: numbers,
      missing: missingBitmap(cells.length, (i) => textOf(cells[i]!) === null),
    };
  }
  return { kind: 'texts', values: cells.map(textOf) };
}

/**
 * The dataset checksum: SHA-256 over, per column in file order, its name, its type and the
 * SHA-256 of its uncompressed chunk payloads in row order (each preceded by its encoding and
 * length). The same file gives the same checksum; any change to a value changes it.
 */
export function datasetChecksum(
  rows: number,
  columns: ReadonlyArray<{ name: string; type: ColumnType; digest: string }>,
): string {
  const hash = createHash('sha256').update(`nomaly-dataset-v1\nrows ${rows}\n`);
  for (const column of columns)
    hash.update(`${JSON.stringify(column.name)} ${column.type} ${column.digest}\n`);
  return hash.digest('hex');
}

/**
 * Reads a table to its end, writing it to `store` as compressed column chunks, and profiles it
 * on the way: types, statistics, quality. Quantiles are computed from the stored numeric
 * columns read back one at a time (which also proves every chunk decodes and checks out),
 * so memory holds one chunk of rows and one column, never the table.
 */
export async function ingestTable(
  table: Table,
  store: ChunkStore,
  options: { readonly labelColumn?: string; readonly chunkRows?: number } = {},
): Promise<IngestResult> {
  const { columns } = table;
  const labelColumn = resolveLabelColumn(columns, options.labelColumn);
  const chunkRows = options.chunkRows ?? chunkRowsFor(columns.length);
  const profilers = columns.map(() => new ColumnProfiler());
  const digests: Hash[] = columns.map(() => createHash('sha256'));
  const duplicates = new DuplicateRowCounter();
  let buffer: Cell[][] = columns.map(() => []);
  let rows = 0;
  let chunkIndex = 0;
  let bufferedRows = 0;

  const flush = async (): Promise<void> => {
    if (bufferedRows === 0) return;
    const rowOffset = rows - bufferedRows;
    const encoded = await Promise.all(buffer.map((cells) => encodeChunk(chunkValues(cells))));
    await store.write(
      encoded.map((chunk, columnIndex) => {
        digests[columnIndex]!.update(`${chunk.encoding} ${chunk.rawLength}\n`).update(
          chunk.checksum,
        );
        return {
          columnIndex,
          chunkIndex,
          rowOffset,
          rowCount: bufferedRows,
          encoding: chunk.encoding,
          payload: chunk.payload,
          checksum: chunk.checksum,
        };
      }),
    );
    chunkIndex += 1;
    bufferedRows = 0;
    buffer = columns.map(() => []);
  };

  const keys: Array<string | null> = new Array<string | null>(columns.length);
  for await (const row of table.rows) {
    for (let c = 0; c < row.length; c++) {
      keys[c] = profilers[c]!.add(row[c]!);
      buffer[c]!.push(row[c]!);
    }
    duplicates.add(keys);
    rows += 1;
    bufferedRows += 1;
    if (bufferedRows >= chunkRows) await flush();
  }
  await flush();

  const summaries: ColumnSummary[] = [];
  for (let index = 0; index < columns.length; index++) {
    const profiler = profilers[index]!;
    const name = columns[index]!;
    let stats = profiler.stats();
    if (profiler.type === 'numeric' && stats.count > stats.nonFinite) {
      const finite = new GrowableFloat64(Math.min(rows, MAX_CHUNK_ROWS));
      for await (const chunk of store.column(index)) {
        const values = await decodeChunk(chunk, chunk.rowCount);
        if (values.kind !== 'numbers') throw new Error(`column ${index} has a text chunk`);
        for (let i = 0; i < values.values.length; i++) {
          const value = values.values[i]!;
          if (!isMissingAt(values.missing, i) && Number.isFinite(value)) finite.push(value);
        }
      }
      stats = withQuantiles(stats, finite.view().sort(), quantileSorted);
    }
    const example = profiler.nonNumericExample();
    // A mostly numeric column with a stray value is the common surprise: say which value.
    const note =
      example !== undefined && profiler.numericCount > 0
        ? `categorical: ${profiler.numericCount} of ${stats.count} values are numbers, but ${JSON.stringify(example)} is not`
        : undefined;
    summaries.push({
      name,
      index,
      type: profiler.type,
      role: name === labelColumn ? 'label' : 'feature',
      ...stats,
      ...(note === undefined ? {} : { note }),
    });
  }

  const columnDigests = digests.map((hash) => hash.digest('hex'));
  const checksum = datasetChecksum(
    rows,
    summaries.map((column, i) => ({
      name: column.name,
      type: column.type,
      digest: columnDigests[i]!,
    })),
  );
  return {
    rows,
    columns: summaries,
    labelColumn,
    checksum,
    quality: qualityReport(summaries, profilers, columnDigests, duplicates.count()),
    chunkRows,
    chunks: chunkIndex,
    bytes: table.bytes(),
  };
}

function qualityReport(
  columns: readonly ColumnSummary[],
  profilers: readonly ColumnProfiler[],
  digests: readonly string[],
  duplicateRows: number,
): QualityReport {
  const missing: Record<string, number> = {};
  const nonFinite: Record<string, number> = {};
  let missingTotal = 0;
  let nonFiniteTotal = 0;
  const constant: string[] = [];
  const byDigest = new Map<string, string[]>();
  columns.forEach((column, i) => {
    const profiler = profilers[i]!;
    if (profiler.missing > 0) {
      missing[column.name] = profiler.missing;
      missingTotal += profiler.missing;
    }
    if (profiler.nonFinite > 0 && column.type === 'numeric') {
      nonFinite[column.name] = profiler.nonFinite;
      nonFiniteTotal += profiler.nonFinite;
    }
    if (profiler.constant) constant.push(column.name);
    const key = `${column.type} ${digests[i]!}`;
    byDigest.set(key, [...(byDigest.get(key) ?? []), column.name]);
  });
  return {
    missingValues: { total: missingTotal, byColumn: missing },
    nonFiniteValues: { total: nonFiniteTotal, byColumn: nonFinite },
    constantColumns: constant,
    duplicateColumns: [...byDigest.values()].filter((group) => group.length > 1),
    duplicateRows,
  };
}
