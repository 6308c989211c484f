import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { skewness } from '../core/stats.js';
import { decodeArray, encodeArray } from '../model/encoding.js';

/** Rows whose tail terms ECOD and COPOD compute at once (two blocks of rows × features doubles). */
export const ECDF_BLOCK_ROWS = 2048;

/**
 * The empirical distribution of each training column, as ECOD and COPOD use it.
 *
 * Tail probabilities of a value x against the n training values x_1 … x_n of a column are taken in
 * the conformal p-value form (the empirical CDF of the training column with x added):
 *
 *   left(x)  = (#{i : x_i ≤ x} + 1) / (n + 1)
 *   right(x) = (#{i : x_i ≥ x} + 1) / (n + 1)
 *
 * Training rows and new rows are scored by this one formula (a training row counts among the x_i
 * like any other), so `fit`'s training scores equal `score` of the training rows. Both tails lie in
 * [1 / (n + 1), 1], so −log never meets 0: a value beyond the training range gets the finite
 * extreme ln(n + 1). PyOD uses #{x_i ≤ x} / n, over the training rows concatenated with the rows
 * being scored; on the training rows the two differ only by the +1s.
 *
 * State: each sorted training column, run-length encoded as its distinct values and their counts
 * (the sorted column exactly, smaller when values repeat), and each column's sample skewness
 * g1 (`skewness` in core/stats; 0 for a constant column, where it is 0/0). Looking a value up is a
 * bucketed binary search over the column's distinct values (see {@link ColumnEcdf.tails}); the
 * −log of every possible p-value is tabulated once, so scoring computes no logarithm.
 */
export class ColumnEcdf {
  /** Per column: index of its first distinct value in `values` (and `counts`). */
  private readonly start: Int32Array;
  /**
   * Per column, from index start[j] + j: 0, then the number of training values ≤ each distinct
   * value (m_j + 1 entries for m_j distinct values).
   */
  private readonly cumulative: Int32Array;
  /** tail[c] = −ln((c + 1) / (n + 1)) for c = 0 … n. */
  private readonly tail: Float64Array;
  /** The search index of each column (see {@link ColumnEcdf.tails}). */
  private readonly index: SearchIndex;

  private constructor(
    /** Number of training rows n. */
    readonly rows: number,
    /** Per column: number of distinct training values. */
    readonly distinct: Int32Array,
    /** Distinct training values, column after column, ascending within a column. */
    readonly values: Float64Array,
    /** How many training rows hold each distinct value. */
    readonly counts: Uint32Array,
    /** Per column: sample skewness g1 of the training values. */
    readonly skewness: Float64Array,
  ) {
    const d = distinct.length;
    this.start = new Int32Array(d + 1);
    for (let j = 0; j < d; j++) this.start[j + 1] = this.start[j]! + distinct[j]!;
    this.cumulative = new Int32Array(values.length + d);
    for (let j = 0; j < d; j++) {
      const base = this.start[j]! + j;
      let c = 0;
      for (let k = 0; k < distinct[j]!; k++) {
        c += counts[this.start[j]! + k]!;
        this.cumulative[base + k + 1] = c;
      }
    }
    this.tail = new Float64Array(rows + 1);
    // 0 − ln rather than −ln: p = 1 gives +0, not −0.
    for (let c = 0; c <= rows; c++) this.tail[c] = 0 - Math.log((c + 1) / (rows + 1));
    this.index = buildIndex(values, this.start);
  }

  /** Number of columns. */
  get cols(): number {
    return this.distinct.length;
  }

  /** Learns the columns of `X` (at least one row). */
  static fit(X: Matrix): ColumnEcdf {
    const { rows: n, cols: d, data } = X;
    const distinct = new Int32Array(d);
    const skew = new Float64Array(d);
    const values: number[] = [];
    const counts: number[] = [];
    const column = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) column[i] = data[i * d + j]!;
      const g = skewness(column);
      sortAscending(column);
      let m = 0;
      let i = 0;
      while (i < n) {
        const v = column[i]!;
        let k = i + 1;
        while (k < n && column[k] === v) k++;
        values.push(v);
        counts.push(k - i);
        m++;
        i = k;
      }
      distinct[j] = m;
      // A constant column's skewness is 0/0, and `skewness` would read rounding noise of its mean.
      skew[j] = m > 1 && Number.isFinite(g) ? g : 0;
    }
    return new ColumnEcdf(n, distinct, Float64Array.from(values), Uint32Array.from(counts), skew);
  }

  /**
   * −ln left(x) and −ln right(x) of every value of rows [from, to) of `X`, written row-major
   * ((row − from) · cols + column) into `left` and `right`.
   *
   * The number of distinct training values ≤ x comes from a bucketed binary search: each column's
   * range [u_0, u_m−1] is cut into m equal buckets, the index holds how many distinct values lie
   * below each bucket boundary, and x is searched only between the bounds of its bucket (usually
   * one or two values). The bucket of x is corrected against the boundaries themselves, so the
   * count is exact.
   */
  tails(X: Matrix, from: number, to: number, left: Float64Array, right: Float64Array): void {
    const d = this.cols;
    const { values, cumulative, tail, rows: n } = this;
    const { bucketStart, buckets, step, scale, below } = this.index;
    for (let j = 0; j < d; j++) {
      columnTails(
        X.data,
        d,
        j,
        from,
        to,
        values,
        this.start[j]!,
        this.distinct[j]!,
        cumulative,
        below,
        bucketStart[j]!,
        buckets[j]!,
        step[j]!,
        scale[j]!,
        tail,
        n,
        left,
        right,
      );
    }
  }

  toState(): Record<string, unknown> {
    return {
      rows: this.rows,
      distinct: encodeArray(this.distinct),
      values: encodeArray(this.values),
      counts: encodeArray(this.counts),
      skewness: encodeArray(this.skewness),
    };
  }

  /** Reads `toState()`'s output for `cols` columns, checking it throughout. */
  static fromState(state: Record<string, unknown>, cols: number): ColumnEcdf {
    const rows = state['rows'];
    check(
      typeof rows === 'number' && Number.isInteger(rows) && rows >= 1,
      'rows must be a positive integer',
    );
    const distinct = decodeArray(state['distinct'], 'int32', 'state.distinct', cols);
    let total = 0;
    for (const m of distinct) {
      check(m >= 1 && m <= rows, `a column has ${m} distinct values for ${rows} rows`);
      total += m;
    }
    const values = decodeArray(state['values'], 'float64', 'state.values', total);
    const counts = decodeArray(state['counts'], 'uint32', 'state.counts', total);
    const skew = decodeArray(state['skewness'], 'float64', 'state.skewness', cols);
    let k = 0;
    for (let j = 0; j < cols; j++) {
      check(Number.isFinite(skew[j]!), `the skewness of column ${j} is not finite`);
      let sum = 0;
      for (let t = 0; t < distinct[j]!; t++, k++) {
        check(Number.isFinite(values[k]!), `column ${j} holds a non-finite value`);
        check(
          t === 0 || values[k]! > values[k - 1]!,
          `the values of column ${j} are not strictly ascending`,
        );
        check(counts[k]! >= 1, `column ${j} has a value counted 0 times`);
        sum += counts[k]!;
      }
      check(sum === rows, `the counts of column ${j} add up to ${sum}, not ${rows}`);
    }
    return new ColumnEcdf(rows, distinct, values, counts, skew);
  }
}

/** Per column: m equal buckets over [u_0, u_m−1] and the distinct values below each boundary. */
interface SearchIndex {
  bucketStart: Int32Array;
  buckets: Int32Array;
  /** Bucket width; boundary b is u_0 + b · step. */
  step: Float64Array;
  /** 1 / step, for the first guess of a value's bucket. */
  scale: Float64Array;
  /** From bucketStart[j]: #{distinct values < boundary b} for b < buckets, then m. */
  below: Int32Array;
}

function buildIndex(values: Float64Array, start: Int32Array): SearchIndex {
  const d = start.length - 1;
  const bucketStart = new Int32Array(d + 1);
  const buckets = new Int32Array(d);
  const step = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const first = start[j]!;
    const m = start[j + 1]! - first;
    const w = (values[first + m - 1]! - values[first]!) / m;
    // A range too wide for a double (or a single value) gets one bucket: plain binary search.
    const nb = m > 1 && Number.isFinite(w) && w > 0 ? m : 1;
    buckets[j] = nb;
    step[j] = nb > 1 ? w : 0;
    scale[j] = nb > 1 ? 1 / w : 0;
    bucketStart[j + 1] = bucketStart[j]! + nb + 1;
  }
  const below = new Int32Array(bucketStart[d]!);
  for (let j = 0; j < d; j++) {
    const first = start[j]!;
    const m = start[j + 1]! - first;
    const lo = values[first]!;
    const ib = bucketStart[j]!;
    const nb = buckets[j]!;
    let k = 0;
    for (let b = 0; b < nb; b++) {
      const t = lo + b * step[j]!;
      while (k < m && values[first + k]! < t) k++;
      below[ib + b] = k;
    }
    below[ib + nb] = m;
  }
  return { bucketStart, buckets, step, scale, below };
}

/**
 * The tail terms of column j for rows [from, to) (see {@link ColumnEcdf.tails}); a standalone
 * function with every input an argument, so the JIT keeps them in registers.
 */
function columnTails(
  data: Float64Array,
  d: number,
  j: number,
  from: number,
  to: number,
  values: Float64Array,
  first: number,
  m: number,
  cumulative: Int32Array,
  below: Int32Array,
  ib: number,
  nb: number,
  step: number,
  scale: number,
  tail: Float64Array,
  n: number,
  left: Float64Array,
  right: Float64Array,
): void {
  const cb = first + j;
  const lo = values[first]!;
  const hi = values[first + m - 1]!;
  for (let r = from, o = j; r < to; r++, o += d) {
    const x = data[r * d + j]!;
    // p = the number of distinct values ≤ x.
    let p: number;
    if (x < lo) p = 0;
    else if (x >= hi) p = m;
    else {
      let b = ((x - lo) * scale) | 0;
      if (b >= nb) b = nb - 1;
      while (b > 0 && x < lo + b * step) b--;
      while (b < nb - 1 && x >= lo + (b + 1) * step) b++;
      // lo + b·step ≤ x < lo + (b + 1)·step, so p lies in [below[b], below[b + 1]].
      let a = below[ib + b]!;
      let z = below[ib + b + 1]!;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (values[first + mid]! <= x) a = mid + 1;
        else z = mid;
      }
      p = a;
    }
    const atMost = cumulative[cb + p]!;
    const under = p > 0 && values[first + p - 1] === x ? cumulative[cb + p - 1]! : atMost;
    left[o] = tail[atMost]!;
    right[o] = tail[n - under]!;
  }
}

/** Below this length the built-in sort wins over the radix sort's fixed costs. */
const RADIX_MIN = 1 << 15;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Sorts finite doubles ascending in place, in the order of `Float64Array.prototype.sort`
 * (−0 before +0). Long arrays use an LSD radix sort on the IEEE-754 bits (flipped so that unsigned
 * order is numeric order), 16-bit digits, skipping digits every value shares (the low ones of
 * integer-valued columns): several times faster than the built-in comparison sort, which
 * dominates fitting ECOD and COPOD otherwise.
 */
export function sortAscending(a: Float64Array): void {
  const n = a.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) {
    a.sort();
    return;
  }
  // words[2i] is the low half of a[i], words[2i + 1] the high half (little-endian).
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  const counts = new Uint32Array(4 << 16);
  for (let i = 0; i < 2 * n; i += 2) {
    const hi = words[i + 1]!;
    if (hi >>> 31 === 1) {
      words[i] = ~words[i]!;
      words[i + 1] = ~hi;
    } else {
      words[i + 1] = hi | 0x8000_0000;
    }
    const lo = words[i]!;
    const h = words[i + 1]!;
    counts[lo & 0xffff]!++;
    counts[(1 << 16) + (lo >>> 16)]!++;
    counts[(2 << 16) + (h & 0xffff)]!++;
    counts[(3 << 16) + (h >>> 16)]!++;
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(2 * n);
  const offsets = new Uint32Array(1 << 16);
  for (let digit = 0; digit < 4; digit++) {
    const base = digit << 16;
    let sum = 0;
    let shared = false;
    for (let v = 0; v < 1 << 16; v++) {
      const c = counts[base + v]!;
      if (c === n) shared = true;
      offsets[v] = sum;
      sum += c;
    }
    if (shared) continue;
    const word = digit >> 1;
    const shift = (digit & 1) * 16;
    for (let i = 0; i < 2 * n; i += 2) {
      const v = (src[i + word]! >>> shift) & 0xffff;
      const at = 2 * offsets[v]!++;
      dst[at] = src[i]!;
      dst[at + 1] = src[i + 1]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== words) words.set(src);
  for (let i = 0; i < 2 * n; i += 2) {
    const hi = words[i + 1]!;
    if (hi >>> 31 === 1) {
      words[i + 1] = hi & 0x7fff_ffff;
    } else {
      words[i] = ~words[i]!;
      words[i + 1] = ~hi;
    }
  }
}
