/**
 * How a job's rows split into result chunks: chunk k holds rows [k·size, min(rows, (k+1)·size)).
 * The size is fixed when the job is accepted and stored with it, so every attempt — whatever
 * its configuration — cuts the same chunks, and a chunk written twice is recognised as the same.
 */
export class ChunkPlan {
  readonly count: number;

  /**
   * @throws RangeError unless `rows` is a non-negative integer and `size` a positive one.
   */
  constructor(
    readonly rows: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new RangeError(
        `Argument 'rows' passed to 'ChunkPlan' must be an integer ≥ 0, got ${rows}`,
      );
    }
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(
        `Argument 'size' passed to 'ChunkPlan' must be an integer ≥ 1, got ${size}`,
      );
    }
    this.count = Math.ceil(rows / size);
  }

  /** First row and row count of chunk `index`. */
  range(index: number): { offset: number; rows: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`chunk ${index} is outside 0..${this.count - 1}`);
    }
    const offset = index * this.size;
    return { offset, rows: Math.min(this.size, this.rows - offset) };
  }

  /** The chunk holding row `row`. */
  chunkOf(row: number): number {
    return Math.floor(row / this.size);
  }

  /** The first chunk not in `stored`, or undefined when every chunk is. */
  firstMissing(stored: ReadonlySet<number>): number | undefined {
    for (let index = 0; index < this.count; index++) if (!stored.has(index)) return index;
    return undefined;
  }
}
