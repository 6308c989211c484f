import type { ChunkPlan } from '@nomaly/jobs';
import { ServiceError } from '@nomaly/platform-core';

/** A dataset stream message as the assembler reads it (column-major, consecutive rows). */
export interface RowsMessage {
  readonly rowOffset: number;
  readonly rowCount: number;
  readonly columns: ReadonlyArray<{ readonly values: ArrayLike<number> }>;
}

/** One result chunk's rows, row-major, ready to score. */
export interface AssembledChunk {
  readonly index: number;
  readonly offset: number;
  readonly rows: number;
  readonly values: Float64Array;
}

/**
 * Cuts the dataset-service's row stream (messages of whatever size it chose, column-major) into
 * the job's fixed chunks (row-major, `plan.size` rows), starting at chunk `first`. Messages
 * must arrive in order and without gaps: anything else is a broken stream and throws, naming
 * the row.
 */
export class ChunkAssembler {
  private index: number;
  private next: number;
  private buffer: Float64Array | undefined;
  private filled = 0;

  constructor(
    private readonly plan: ChunkPlan,
    private readonly cols: number,
    first: number,
  ) {
    this.index = first;
    this.next = first < plan.count ? plan.range(first).offset : plan.rows;
  }

  /** Rows the assembler expects next (the start row of the stream, at first). */
  get nextRow(): number {
    return this.next;
  }

  /** Takes a message; returns the chunks it completed, in order. */
  push(message: RowsMessage): AssembledChunk[] {
    if (message.rowOffset !== this.next) {
      throw new Error(
        `dataset stream out of order: expected row ${this.next}, got a message at row ${message.rowOffset}`,
      );
    }
    if (message.columns.length !== this.cols) {
      throw new Error(
        `dataset stream at row ${message.rowOffset}: ${message.columns.length} columns, expected ${this.cols}`,
      );
    }
    for (const column of message.columns) {
      if (column.values.length !== message.rowCount) {
        throw new Error(
          `dataset stream at row ${message.rowOffset}: a column has ${column.values.length} values for ${message.rowCount} rows`,
        );
      }
    }
    if (message.rowOffset + message.rowCount > this.plan.rows) {
      throw new Error(
        `dataset stream at row ${message.rowOffset}: ${message.rowCount} rows run past the dataset's ${this.plan.rows}`,
      );
    }
    const done: AssembledChunk[] = [];
    let taken = 0;
    while (taken < message.rowCount) {
      const { offset, rows } = this.plan.range(this.index);
      this.buffer ??= new Float64Array(rows * this.cols);
      const take = Math.min(rows - this.filled, message.rowCount - taken);
      for (let j = 0; j < this.cols; j++) {
        const values = message.columns[j]!.values;
        for (let i = 0; i < take; i++) {
          this.buffer[(this.filled + i) * this.cols + j] = values[taken + i]!;
        }
      }
      this.filled += take;
      taken += take;
      if (this.filled === rows) {
        done.push({ index: this.index, offset, rows, values: this.buffer });
        this.buffer = undefined;
        this.filled = 0;
        this.index += 1;
      }
    }
    this.next += message.rowCount;
    return done;
  }

  /**
   * The stream ended: every row must have arrived.
   *
   * @throws ServiceError `DEPENDENCY_UNAVAILABLE` (worth a retry) naming where it stopped.
   */
  finish(): void {
    if (this.next !== this.plan.rows) {
      throw new ServiceError(
        'DEPENDENCY_UNAVAILABLE',
        `The dataset stream ended at row ${this.next} of ${this.plan.rows}; retry.`,
        { retryAfterSeconds: 5 },
      );
    }
  }
}
