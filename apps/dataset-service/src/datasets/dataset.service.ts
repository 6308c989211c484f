import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import {
  Resilience,
  ServiceError,
  type Logger,
  type Page,
  type Principal,
} from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database, fetchPage } from '@nomaly/platform-persistence';
import type { DatasetConfig } from '../config.js';
import { timestampOf } from '../ingest/cells.js';
import { openTable, type UploadFormat } from '../ingest/table.js';
import { DatasetEntity, type SchemaColumn } from '../persistence/index.js';
import {
  ChunkIntegrityError,
  decodeChunk,
  isMissingAt,
  type ChunkValues,
} from '../storage/chunk-codec.js';
import { ingestTable, resolveLabelColumn, type StoredChunk } from '../storage/dataset-ingest.js';
import { readChunkRow, TransactionChunkStore } from './chunk-repository.js';
import type { DatasetDto, DatasetSummaryDto, QualityDto, SampleDto } from './dataset.dto.js';

export const DEFAULT_SAMPLE_ROWS = 20;
/** Rows per streamed message at most, and the size a message aims to stay under. */
export const MAX_STREAM_ROWS = 10_000;
export const STREAM_MESSAGE_BYTES = 1024 * 1024;

/** One message of `StreamRows`, before the gRPC layer serialises it. */
export interface RowsChunk {
  readonly rowOffset: number;
  readonly rowCount: number;
  readonly columns: Array<{ name: string; values: number[] }>;
  readonly label: number[];
}

export interface StreamRowsOptions {
  readonly columns: readonly string[];
  readonly includeLabel: boolean;
  readonly maxRowsPerChunk: number;
  /** Index of the first row to send (0 = from the start); earlier stored chunks are not read. */
  readonly startRow?: number;
  /** Resolves when the consumer can take more (gRPC flow control); checked between messages. */
  readonly ready?: () => Promise<void>;
  readonly cancelled?: () => boolean;
}

function notFound(id: string): ServiceError {
  return new ServiceError('NOT_FOUND', `No dataset with id ${id}.`);
}

export function toSummaryDto(entity: DatasetEntity): DatasetSummaryDto {
  return {
    id: entity.id,
    name: entity.name,
    version: entity.version,
    rows: entity.rows,
    columnCount: entity.columnCount,
    ...(entity.labelColumn === null ? {} : { labelColumn: entity.labelColumn }),
    checksum: entity.checksum,
    format: entity.format,
    bytes: entity.bytes,
    createdAt: entity.createdAt.toISOString(),
  };
}

export function toDatasetDto(entity: DatasetEntity): DatasetDto {
  return {
    ...toSummaryDto(entity),
    columns: entity.schema.map((column, i) => ({ ...column, ...entity.stats[i]! })),
    quality: entity.quality,
    storage: { chunkRows: entity.chunkRows, chunks: entity.chunkCount },
  };
}

/** A JSON-safe value of a numeric column: JSON has no NaN or Infinity, so they travel as text. */
function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * Datasets of the caller's tenant: upload (parse, profile and store in one transaction), list,
 * read, sample, delete, and the reads the gRPC contract serves. Every query is scoped by tenant;
 * another tenant's id is "not found", exactly as a missing one.
 */
@Injectable()
export class DatasetService {
  private readonly findEntity: (tenantId: string, id: string) => Promise<DatasetEntity | null>;

  constructor(
    private readonly database: Database,
    @Inject(PLATFORM_CONFIG) private readonly config: DatasetConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    resilience: Resilience,
  ) {
    // Reads are idempotent: retried with back-off, and failing fast while Postgres is down.
    this.findEntity = resilience.wrap(
      'dataset-lookup',
      'database',
      (tenantId: string, id: string) => this.repository.findOneBy({ id, tenantId }),
      { idempotent: true },
    );
  }

  private get repository() {
    return this.database.dataSource.getRepository(DatasetEntity);
  }

  /**
   * Stores an uploaded file as a new dataset (or the next version of its name). The file is
   * parsed as it arrives and written as compressed column chunks inside one transaction with
   * the dataset row, so a failure at any point — a bad row, a limit, a lost client, a crash —
   * leaves nothing behind.
   */
  async upload(
    principal: Principal,
    input: { name: string; labelColumn?: string; format: UploadFormat; body: Readable },
  ): Promise<DatasetDto> {
    const table = await openTable(input.format, input.body, {
      maxBytes: Math.floor(this.config.MAX_REQUEST_SIZE_MB * 1024 * 1024),
      maxRows: this.config.MAX_DATASET_ROWS,
      maxColumns: this.config.MAX_DATASET_COLUMNS,
    });
    // Checked before a connection is taken: a wrong label fails at once.
    const labelColumn = resolveLabelColumn(table.columns, input.labelColumn);
    const id = randomUUID();
    const tenantId = principal.tenantId;
    const runner = this.database.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const started = performance.now();
      const result = await ingestTable(table, new TransactionChunkStore(runner, id, tenantId), {
        ...(labelColumn === undefined ? {} : { labelColumn }),
      });
      // Versions of one name are numbered under a lock held only for this last statement, so
      // two uploads of the same name never wait for each other's parsing.
      await runner.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `dataset-version:${tenantId}:${input.name}`,
      ]);
      const schema: SchemaColumn[] = result.columns.map((column) => ({
        name: column.name,
        index: column.index,
        type: column.type,
        role: column.role,
        ...(column.note === undefined ? {} : { note: column.note }),
      }));
      const stats = result.columns.map(
        ({ name: _n, index: _i, type: _t, role: _r, note: _note, ...rest }) => rest,
      );
      await runner.query(
        `INSERT INTO datasets (id, tenant_id, name, version, rows, column_count, label_column, format,
                               bytes, chunk_rows, chunk_count, schema, stats, quality, checksum, created_by)
         SELECT $1, $2, $3, coalesce(max(version), 0) + 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
           FROM datasets WHERE tenant_id = $2 AND name = $3`,
        [
          id,
          tenantId,
          input.name,
          result.rows,
          result.columns.length,
          result.labelColumn ?? null,
          input.format,
          result.bytes,
          result.chunkRows,
          result.chunks,
          JSON.stringify(schema),
          JSON.stringify(stats),
          JSON.stringify(result.quality),
          result.checksum,
          principal.subject,
        ],
      );
      await runner.commitTransaction();
      this.logger.info(
        {
          datasetId: id,
          rows: result.rows,
          columns: result.columns.length,
          bytes: result.bytes,
          chunks: result.chunks,
          durationMs: Math.round(performance.now() - started),
        },
        'dataset stored',
      );
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    return this.get(tenantId, id);
  }

  list(
    tenantId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<DatasetSummaryDto>> {
    return fetchPage(
      this.repository
        .createQueryBuilder('d')
        // The profile (schema, stats, quality) can be large: a list shows summaries only.
        .select([
          'd.id',
          'd.tenantId',
          'd.name',
          'd.version',
          'd.rows',
          'd.columnCount',
          'd.labelColumn',
          'd.format',
          'd.bytes',
          'd.checksum',
          'd.createdAt',
        ])
        .where('d.tenant_id = :tenantId', { tenantId }),
      { limit, cursor },
      toSummaryDto,
    );
  }

  async entity(tenantId: string, id: string): Promise<DatasetEntity> {
    const entity = await this.findEntity(tenantId, id);
    if (entity === null) throw notFound(id);
    return entity;
  }

  async get(tenantId: string, id: string): Promise<DatasetDto> {
    return toDatasetDto(await this.entity(tenantId, id));
  }

  async quality(tenantId: string, id: string): Promise<QualityDto> {
    const entity = await this.entity(tenantId, id);
    return {
      id: entity.id,
      rows: entity.rows,
      quality: entity.quality,
      columns: entity.schema.map((column, i) => ({
        name: column.name,
        type: column.type,
        missing: entity.stats[i]!.missing,
        nonFinite: entity.stats[i]!.nonFinite,
        ...(column.note === undefined ? {} : { note: column.note }),
      })),
    };
  }

  /** Deletes a dataset and its chunks (one statement: the chunks cascade). */
  async delete(tenantId: string, id: string): Promise<void> {
    const result = await this.repository.delete({ id, tenantId });
    if (result.affected === 0) throw notFound(id);
  }

  /** The first `rows` rows (bounded by `MAX_SAMPLE_ROWS`), values typed by column. */
  async sample(tenantId: string, id: string, rows: number | undefined): Promise<SampleDto> {
    const entity = await this.entity(tenantId, id);
    const wanted = Math.min(rows ?? DEFAULT_SAMPLE_ROWS, this.config.MAX_SAMPLE_ROWS, entity.rows);
    const out: Array<Array<number | string | null>> = [];
    const indexes = entity.schema.map((column) => column.index);
    for (let chunkIndex = 0; out.length < wanted && chunkIndex < entity.chunkCount; chunkIndex++) {
      const chunks = await this.chunkRow(entity, chunkIndex, indexes);
      const take = Math.min(wanted - out.length, chunks[0]!.rowCount);
      const columns = await Promise.all(chunks.map((chunk) => this.decode(entity, chunk)));
      for (let r = 0; r < take; r++) {
        out.push(
          columns.map((values, c) => {
            if (values.kind === 'texts') return values.values[r] ?? null;
            if (isMissingAt(values.missing, r)) return null;
            const value = values.values[r]!;
            // A categorical column whose values in this chunk all looked like numbers.
            return entity.schema[c]!.type === 'numeric' ? jsonNumber(value) : String(value);
          }),
        );
      }
    }
    return { id: entity.id, columns: entity.schema.map((column) => column.name), rows: out };
  }

  /**
   * The selected columns (numeric or timestamp) as doubles in messages of at most
   * `maxRowsPerChunk` rows and about {@link STREAM_MESSAGE_BYTES}, read a stored chunk at a
   * time and verified as they are read.
   */
  async *streamRows(
    tenantId: string,
    id: string,
    options: StreamRowsOptions,
  ): AsyncGenerator<RowsChunk> {
    const entity = await this.entity(tenantId, id);
    const byName = new Map(entity.schema.map((column) => [column.name, column]));
    const selected: SchemaColumn[] =
      options.columns.length === 0
        ? entity.schema.filter((column) => column.type === 'numeric' && column.role !== 'label')
        : options.columns.map((name) => {
            const column = byName.get(name);
            if (column === undefined) {
              throw new ServiceError('VALIDATION_FAILED', `Dataset ${id} has no column "${name}".`);
            }
            return column;
          });
    for (const column of selected) {
      if (column.type === 'categorical') {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `Column "${column.name}" is categorical; only numeric and timestamp columns stream as numbers.`,
        );
      }
    }
    let label: SchemaColumn | undefined;
    if (options.includeLabel) {
      label = entity.labelColumn === null ? undefined : byName.get(entity.labelColumn);
      if (label === undefined)
        throw new ServiceError('VALIDATION_FAILED', `Dataset ${id} has no label column.`);
      if (label.type !== 'numeric') {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `The label column "${label.name}" is not numeric.`,
        );
      }
    }
    const width = Math.max(1, selected.length + (label === undefined ? 0 : 1));
    const requested = options.maxRowsPerChunk > 0 ? options.maxRowsPerChunk : MAX_STREAM_ROWS;
    const perMessage = Math.max(
      1,
      Math.min(requested, MAX_STREAM_ROWS, Math.floor(STREAM_MESSAGE_BYTES / (8 * width))),
    );
    const indexes = [...selected, ...(label === undefined ? [] : [label])].map(
      (column) => column.index,
    );
    const startRow = options.startRow ?? 0;
    if (!Number.isSafeInteger(startRow) || startRow < 0) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `startRow must be a non-negative integer, got ${startRow}.`,
      );
    }
    // Every stored chunk holds chunkRows rows (the last one fewer): the chunks before the one
    // holding startRow are skipped without being read.
    const firstChunk = Math.floor(startRow / entity.chunkRows);
    for (let chunkIndex = firstChunk; chunkIndex < entity.chunkCount; chunkIndex++) {
      if (options.cancelled?.() === true) return;
      const chunks = await this.chunkRow(entity, chunkIndex, [...new Set(indexes)]);
      const byIndex = new Map(chunks.map((chunk) => [chunk.columnIndex, chunk]));
      const first = chunks[0]!;
      const decoded = new Map<number, Float64Array>();
      for (const index of new Set(indexes)) {
        const chunk = byIndex.get(index)!;
        decoded.set(index, this.asNumbers(await this.decode(entity, chunk)));
      }
      const skip = Math.max(0, startRow - first.rowOffset);
      for (let start = skip; start < first.rowCount; start += perMessage) {
        const end = Math.min(first.rowCount, start + perMessage);
        await options.ready?.();
        if (options.cancelled?.() === true) return;
        yield {
          rowOffset: first.rowOffset + start,
          rowCount: end - start,
          columns: selected.map((column) => ({
            name: column.name,
            values: Array.from(decoded.get(column.index)!.subarray(start, end)),
          })),
          label:
            label === undefined ? [] : Array.from(decoded.get(label.index)!.subarray(start, end)),
        };
      }
    }
  }

  /** The stored chunks of one row range for the given columns, all present or a clear error. */
  private async chunkRow(
    entity: DatasetEntity,
    chunkIndex: number,
    indexes: readonly number[],
  ): Promise<StoredChunk[]> {
    const found = await readChunkRow(
      (sql, params) => this.database.dataSource.query(sql, params),
      entity.id,
      entity.tenantId,
      chunkIndex,
      indexes,
    );
    return indexes.map((index) => {
      const chunk = found.get(index);
      if (chunk === undefined) {
        throw this.damaged(
          entity,
          index,
          chunkIndex,
          new ChunkIntegrityError('the chunk is missing'),
        );
      }
      return chunk;
    });
  }

  private async decode(entity: DatasetEntity, chunk: StoredChunk): Promise<ChunkValues> {
    try {
      return await decodeChunk(chunk, chunk.rowCount);
    } catch (error) {
      if (error instanceof ChunkIntegrityError)
        throw this.damaged(entity, chunk.columnIndex, chunk.chunkIndex, error);
      throw error;
    }
  }

  /**
   * A stored chunk that fails its checksum is data loss, not a client error: logged for the
   * operators, answered 500 (gRPC INTERNAL) with a message that says what is wrong.
   */
  private damaged(
    entity: DatasetEntity,
    columnIndex: number,
    chunkIndex: number,
    error: ChunkIntegrityError,
  ): ServiceError {
    const column = entity.schema[columnIndex]?.name ?? String(columnIndex);
    this.logger.error(
      {
        datasetId: entity.id,
        tenantId: entity.tenantId,
        column,
        chunkIndex,
        reason: error.message,
      },
      'dataset chunk failed its integrity check',
    );
    return new ServiceError(
      'INTERNAL',
      `Dataset ${entity.id} is damaged: chunk ${chunkIndex} of column "${column}" failed its integrity check (${error.message}). Upload the file again.`,
      { details: { reason: 'DATASET_INTEGRITY' } },
    );
  }

  private asNumbers(values: ChunkValues): Float64Array {
    if (values.kind === 'numbers') {
      if (values.missing === undefined) return values.values;
      const copy = values.values.slice();
      for (let i = 0; i < copy.length; i++)
        if (isMissingAt(values.missing, i)) copy[i] = Number.NaN;
      return copy;
    }
    // Timestamps are stored as uploaded and travel as epoch milliseconds.
    return Float64Array.from(values.values, (text) =>
      text === null ? Number.NaN : (timestampOf(text) ?? Number.NaN),
    );
  }
}
