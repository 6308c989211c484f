import { isMissing, numberOf, timestampOf, type Cell } from '../ingest/cells.js';

/** What schema inference decides a column holds. */
export type ColumnType = 'numeric' | 'categorical' | 'timestamp';

/** Distinct values remembered per column for `unique` and `top`; beyond it counts are lower bounds. */
export const DISTINCT_LIMIT = 1_000;

/** Statistics of one column (numbers are `null` where they do not exist, e.g. no values). */
export interface ColumnStats {
  /** Present values (missing ones not counted). */
  readonly count: number;
  readonly missing: number;
  /** NaN and ±Infinity values of a numeric column; they are left out of the other statistics. */
  readonly nonFinite: number;
  readonly mean: number | null;
  /** Sample standard deviation (n − 1 in the denominator, as pandas' `describe`). */
  readonly std: number | null;
  readonly min: number | string | null;
  readonly p25: number | null;
  readonly p50: number | null;
  readonly p75: number | null;
  readonly max: number | string | null;
  /** Distinct present values (categorical columns), a lower bound when `uniqueExact` is false. */
  readonly unique?: number;
  readonly uniqueExact?: boolean;
  /** The most frequent values, most frequent first (categorical columns). */
  readonly top?: ReadonlyArray<{ value: string; count: number }>;
}

/**
 * Streaming profile of one column: type evidence, missing and non-finite counts, Welford's
 * running mean and variance, extremes, a bounded count of distinct values, and whether the
 * column is constant. Quantiles need the sorted values, so they are computed afterwards from
 * the stored column ({@link withQuantiles}).
 */
export class ColumnProfiler {
  private present = 0;
  private missingCount = 0;
  private nonFiniteCount = 0;
  private allNumeric = true;
  private allTimestamps = true;
  private finite = 0;
  private numbers = 0;
  private mean = 0;
  private m2 = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private timestampMin = Number.POSITIVE_INFINITY;
  private timestampMax = Number.NEGATIVE_INFINITY;
  private readonly distinct = new Map<string, number>();
  private distinctOverflow = false;
  private firstKey: string | undefined;
  private varies = false;

  /** Records one cell and returns its canonical text key (`null` when missing). */
  add(cell: Cell): string | null {
    if (isMissing(cell)) {
      this.missingCount += 1;
      return null;
    }
    this.present += 1;
    const number = numberOf(cell);
    let key: string;
    if (number === undefined) {
      this.allNumeric = false;
      key = String(cell);
    } else {
      this.numbers += 1;
      key = String(number);
      if (Number.isFinite(number)) {
        this.finite += 1;
        const delta = number - this.mean;
        this.mean += delta / this.finite;
        this.m2 += delta * (number - this.mean);
        if (number < this.min) this.min = number;
        if (number > this.max) this.max = number;
      } else {
        this.nonFiniteCount += 1;
      }
    }
    if (this.allTimestamps) {
      const ms = timestampOf(cell);
      if (ms === undefined) {
        this.allTimestamps = false;
      } else {
        if (ms < this.timestampMin) this.timestampMin = ms;
        if (ms > this.timestampMax) this.timestampMax = ms;
      }
    }
    if (this.firstKey === undefined) this.firstKey = key;
    else if (!this.varies && key !== this.firstKey) this.varies = true;
    const seen = this.distinct.get(key);
    if (seen !== undefined) this.distinct.set(key, seen + 1);
    else if (this.distinct.size < DISTINCT_LIMIT) this.distinct.set(key, 1);
    else this.distinctOverflow = true;
    return key;
  }

  /**
   * Numeric when every present value is a number (a column of only missing values too);
   * timestamp when every present value is an ISO 8601 date; categorical otherwise.
   */
  get type(): ColumnType {
    if (this.allNumeric) return 'numeric';
    if (this.allTimestamps) return 'timestamp';
    return 'categorical';
  }

  get missing(): number {
    return this.missingCount;
  }

  get nonFinite(): number {
    return this.nonFiniteCount;
  }

  /** Fewer than two distinct present values (all missing counts as constant). */
  get constant(): boolean {
    return !this.varies;
  }

  /** Present values that are numbers (finite or not). */
  get numericCount(): number {
    return this.numbers;
  }

  /**
   * A present value that made the column categorical, to explain the inference (for instance
   * "x" in a column of numbers); `undefined` for numeric and timestamp columns.
   */
  nonNumericExample(): string | undefined {
    if (this.type !== 'categorical') return undefined;
    for (const key of this.distinct.keys()) if (numberOf(key) === undefined) return key;
    return undefined;
  }

  /** The statistics without quantiles (which {@link withQuantiles} adds). */
  stats(): ColumnStats {
    const base = {
      count: this.present,
      missing: this.missingCount,
      nonFinite: this.nonFiniteCount,
    };
    const none = { mean: null, std: null, p25: null, p50: null, p75: null };
    switch (this.type) {
      case 'numeric':
        return {
          ...base,
          ...none,
          mean: this.finite > 0 ? this.mean : null,
          std: this.finite > 1 ? Math.sqrt(this.m2 / (this.finite - 1)) : null,
          min: this.finite > 0 ? this.min : null,
          max: this.finite > 0 ? this.max : null,
        };
      case 'timestamp':
        return {
          ...base,
          ...none,
          nonFinite: 0,
          min: this.present > 0 ? new Date(this.timestampMin).toISOString() : null,
          max: this.present > 0 ? new Date(this.timestampMax).toISOString() : null,
        };
      case 'categorical': {
        const top = [...this.distinct.entries()]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .slice(0, 5)
          .map(([value, count]) => ({ value, count }));
        return {
          ...base,
          ...none,
          nonFinite: 0,
          min: null,
          max: null,
          unique: this.distinct.size,
          uniqueExact: !this.distinctOverflow,
          top,
        };
      }
    }
  }
}

/** Adds the quartiles of a numeric column from its finite values, sorted ascending. */
export function withQuantiles(
  stats: ColumnStats,
  sortedFinite: Float64Array,
  quantile: (sorted: Float64Array, q: number) => number,
): ColumnStats {
  if (sortedFinite.length === 0) return stats;
  return {
    ...stats,
    p25: quantile(sortedFinite, 0.25),
    p50: quantile(sortedFinite, 0.5),
    p75: quantile(sortedFinite, 0.75),
  };
}
