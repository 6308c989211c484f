import { heapPush, simultaneousSort } from './neighbor-heap.js';

/**
 * Query rows and training rows per block: the 128 training rows of a block stay in cache while
 * the query rows of the block pass over them.
 */
const ROW_BLOCK = 64;
const COL_BLOCK = 128;

/** A row-major matrix with the squared norm of each row. */
interface Rows {
  data: Float64Array;
  norms: Float64Array;
}

/** One bounded heap of k slots per query row: `dist2/ind[row·k …]`. */
interface Heaps {
  k: number;
  dist2: Float64Array;
  ind: Int32Array;
}

/**
 * Exact k-nearest-neighbour search by blocked brute force, for wide data where space-partitioning
 * trees prune nothing (beyond ~15 dimensions every box is near every point).
 *
 * Squared distances of a block of query rows to a block of training rows come from one block of
 * dot products: ‖x − y‖² = (‖x‖² − 2 x·y) + ‖y‖², summed in that order as scikit-learn's
 * `ArgKmin` does, and offered to each query's heap in training-row order; ties therefore resolve
 * as in scikit-learn. The identity cancels catastrophically for near points, so the distances of
 * the k chosen neighbours are then recomputed exactly as Σ (x_j − y_j)² — a row's duplicate is at
 * exactly 0, never at 1e-8 — and the k are re-sorted by them (a stable insertion sort: the
 * selection order is kept among equal distances).
 *
 * Training rows queried against themselves use the symmetry of the products: each block pair is
 * computed once and offered to both sides, still in training-row order for every query.
 *
 * @example
 * const search = new BruteForce(data, n, d);
 * search.queryTraining(6, dist2, ind); // each row's 6 nearest rows, itself included
 */
export class BruteForce {
  /** ‖y‖² of each training row. */
  private readonly norms: Float64Array;

  constructor(
    readonly data: Float64Array,
    readonly rows: number,
    readonly cols: number,
  ) {
    this.norms = rowNorms(data, rows, cols);
  }

  /**
   * The `k` nearest training rows of each of the `m` rows of `queries`: exact squared distances
   * ascending in `dist2[q·k …]`, training row indices in `ind[q·k …]`. `k` ≤ the training rows.
   */
  query(queries: Float64Array, m: number, k: number, dist2: Float64Array, ind: Int32Array): void {
    const { rows: n, cols: d } = this;
    const train: Rows = { data: this.data, norms: this.norms };
    const query: Rows = { data: queries, norms: rowNorms(queries, m, d) };
    const heaps: Heaps = { k, dist2, ind };
    dist2.fill(Infinity, 0, m * k);
    for (let r0 = 0; r0 < m; r0 += ROW_BLOCK) {
      const rb = Math.min(ROW_BLOCK, m - r0);
      for (let c0 = 0; c0 < n; c0 += COL_BLOCK) {
        offerBlock(query, r0, rb, train, c0, Math.min(COL_BLOCK, n - c0), d, heaps, false);
      }
    }
    this.finish(queries, m, k, dist2, ind);
  }

  /**
   * Like {@link BruteForce.query} with the training rows themselves as queries (each row is among
   * its own neighbours, at distance 0).
   */
  queryTraining(k: number, dist2: Float64Array, ind: Int32Array): void {
    const { rows: n, cols: d } = this;
    const train: Rows = { data: this.data, norms: this.norms };
    const heaps: Heaps = { k, dist2, ind };
    dist2.fill(Infinity, 0, n * k);
    // Block pairs (I, J ≥ I) in this order reach every row's columns in ascending order: row block
    // R gets (0, R), (1, R), …, (R − 1, R) from the other side, then (R, R), (R, R + 1), … directly.
    for (let r0 = 0; r0 < n; r0 += COL_BLOCK) {
      const rb = Math.min(COL_BLOCK, n - r0);
      offerBlock(train, r0, rb, train, r0, rb, d, heaps, false);
      for (let c0 = r0 + COL_BLOCK; c0 < n; c0 += COL_BLOCK) {
        offerBlock(train, r0, rb, train, c0, Math.min(COL_BLOCK, n - c0), d, heaps, true);
      }
    }
    this.finish(this.data, n, k, dist2, ind);
  }

  /** Sorts each heap, then replaces the selection values by exact squared distances. */
  private finish(
    queries: Float64Array,
    m: number,
    k: number,
    dist2: Float64Array,
    ind: Int32Array,
  ): void {
    const { data, cols: d } = this;
    for (let q = 0; q < m; q++) {
      const off = q * k;
      simultaneousSort(dist2, ind, off, k);
      for (let t = 0; t < k; t++) {
        const a = q * d;
        const b = ind[off + t]! * d;
        let s = 0;
        for (let j = 0; j < d; j++) {
          const u = queries[a + j]! - data[b + j]!;
          s += u * u;
        }
        dist2[off + t] = s;
      }
      for (let t = 1; t < k; t++) {
        const v = dist2[off + t]!;
        const i = ind[off + t]!;
        let h = t;
        for (; h > 0 && dist2[off + h - 1]! > v; h--) {
          dist2[off + h] = dist2[off + h - 1]!;
          ind[off + h] = ind[off + h - 1]!;
        }
        dist2[off + h] = v;
        ind[off + h] = i;
      }
    }
  }
}

/** Σ_j x_j² of each row, summed in feature order. */
function rowNorms(x: Float64Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = i * d; j < i * d + d; j++) s += x[j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/**
 * Offers ‖x‖² − 2 x·y + ‖y‖² for every row x of `a` in `a0 … a0+rb` and row y of `b` in
 * `b0 … b0+cb` to x's heap, and with `both` also to y's heap (`a` and `b` are then the same
 * training matrix). Products come from a 4 × 2 register tile, eight independent sums. Every
 * heap receives its columns in ascending order: columns of a tile are ascending within a row
 * group, row groups ascend, and the leftover column and rows come last.
 */
function offerBlock(
  a: Rows,
  a0: number,
  rb: number,
  b: Rows,
  b0: number,
  cb: number,
  d: number,
  heaps: Heaps,
  both: boolean,
): void {
  const { data: A, norms: aNorms } = a;
  const { data: B, norms: bNorms } = b;
  const { k, dist2, ind } = heaps;
  let r = 0;
  for (; r + 3 < rb; r += 4) {
    const i0 = a0 + r;
    const x0 = i0 * d;
    const x1 = x0 + d;
    const x2 = x1 + d;
    const x3 = x2 + d;
    let c = 0;
    for (; c + 1 < cb; c += 2) {
      const j0 = b0 + c;
      const y0 = j0 * d;
      const y1 = y0 + d;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      let s20 = 0;
      let s21 = 0;
      let s30 = 0;
      let s31 = 0;
      for (let j = 0; j < d; j++) {
        const u0 = B[y0 + j]!;
        const u1 = B[y1 + j]!;
        const v0 = A[x0 + j]!;
        const v1 = A[x1 + j]!;
        const v2 = A[x2 + j]!;
        const v3 = A[x3 + j]!;
        s00 += v0 * u0;
        s01 += v0 * u1;
        s10 += v1 * u0;
        s11 += v1 * u1;
        s20 += v2 * u0;
        s21 += v2 * u1;
        s30 += v3 * u0;
        s31 += v3 * u1;
      }
      offer(i0, j0, s00, aNorms, bNorms, k, dist2, ind);
      offer(i0, j0 + 1, s01, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 1, j0, s10, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 1, j0 + 1, s11, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 2, j0, s20, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 2, j0 + 1, s21, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 3, j0, s30, aNorms, bNorms, k, dist2, ind);
      offer(i0 + 3, j0 + 1, s31, aNorms, bNorms, k, dist2, ind);
      if (both) {
        offer(j0, i0, s00, bNorms, aNorms, k, dist2, ind);
        offer(j0, i0 + 1, s10, bNorms, aNorms, k, dist2, ind);
        offer(j0, i0 + 2, s20, bNorms, aNorms, k, dist2, ind);
        offer(j0, i0 + 3, s30, bNorms, aNorms, k, dist2, ind);
        offer(j0 + 1, i0, s01, bNorms, aNorms, k, dist2, ind);
        offer(j0 + 1, i0 + 1, s11, bNorms, aNorms, k, dist2, ind);
        offer(j0 + 1, i0 + 2, s21, bNorms, aNorms, k, dist2, ind);
        offer(j0 + 1, i0 + 3, s31, bNorms, aNorms, k, dist2, ind);
      }
    }
    for (; c < cb; c++) {
      const j0 = b0 + c;
      for (let t = 0; t < 4; t++) {
        const p = dot(A, (i0 + t) * d, B, j0 * d, d);
        offer(i0 + t, j0, p, aNorms, bNorms, k, dist2, ind);
        if (both) offer(j0, i0 + t, p, bNorms, aNorms, k, dist2, ind);
      }
    }
  }
  for (; r < rb; r++) {
    const i0 = a0 + r;
    for (let c = 0; c < cb; c++) {
      const j0 = b0 + c;
      const p = dot(A, i0 * d, B, j0 * d, d);
      offer(i0, j0, p, aNorms, bNorms, k, dist2, ind);
      if (both) offer(j0, i0, p, bNorms, aNorms, k, dist2, ind);
    }
  }
}

/** Offers row `col` to row `row`'s heap at ‖row‖² − 2·product + ‖col‖², summed in that order. */
function offer(
  row: number,
  col: number,
  product: number,
  rowNorms: Float64Array,
  colNorms: Float64Array,
  k: number,
  dist2: Float64Array,
  ind: Int32Array,
): void {
  const v = rowNorms[row]! + -2 * product + colNorms[col]!;
  if (v < dist2[row * k]!) heapPush(dist2, ind, row * k, k, v, col);
}

function dot(A: Float64Array, a: number, B: Float64Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += A[a + j]! * B[b + j]!;
  return s;
}
