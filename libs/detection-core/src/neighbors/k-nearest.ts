import { check } from '../core/errors.js';
import { BruteForce } from './brute-force.js';
import { KDTree } from './kd-tree.js';

/** Largest neighbour table (rows × k entries) built at once: 12 bytes each, so about 1.5 GiB. */
const MAX_TABLE_ENTRIES = 2 ** 27;

/** How neighbours are searched: chosen from the data's shape (`'auto'`) or forced. */
export type NeighborMethod = 'auto' | 'kd-tree' | 'brute';

/**
 * Widest data searched with the KD-tree; wider data is searched by brute force.
 *
 * Measured on this library (k = 5, training rows, CPU time, 2-core Xeon, Node 20): up to 10
 * features the tree wins by far — 7× on annthyroid (7200 × 6), 15× on mammography (11183 × 6),
 * 60× on the first 40000 rows of cover (× 10) and more as rows grow; level only on tiny breastw
 * (683 × 9). Above 15 features the width no longer decides, the intrinsic dimension does: the
 * tree is still 2.9× faster on pendigits (16) and 1.4× on satellite (36), brute force 1.4–1.7×
 * faster on cardio (21), ionosphere (32) and musk (166). With no clean cut above
 * 15 we keep scikit-learn's threshold (`d > 15` means brute force): the two methods meet points
 * in different orders, so choosing as scikit-learn chooses also gives the same pick among
 * equidistant neighbours — and the same LOF scores on integer-valued data.
 */
export const KD_TREE_MAX_DIMENSIONS = 15;

/**
 * The method `'auto'` picks: the KD-tree up to {@link KD_TREE_MAX_DIMENSIONS} features unless k
 * is at least half the rows (where a tree prunes nothing), else brute force — scikit-learn's rule.
 */
export function chooseMethod(rows: number, cols: number, k: number): 'kd-tree' | 'brute' {
  return cols > KD_TREE_MAX_DIMENSIONS || k >= Math.floor(rows / 2) ? 'brute' : 'kd-tree';
}

/** Neighbours of `rows` query rows, `k` each, row-major and ascending by distance per row. */
export interface Neighbors {
  rows: number;
  k: number;
  /** Euclidean distances, `rows × k`. */
  distances: Float64Array;
  /** Training row of each neighbour, `rows × k`. */
  indices: Int32Array;
}

/**
 * Exact Euclidean k-nearest neighbours of the rows of a training matrix — scikit-learn's
 * `NearestNeighbors(algorithm='auto').kneighbors`: a {@link KDTree} for narrow data, a blocked
 * {@link BruteForce} search for wide data (see {@link chooseMethod}). Even the choice among
 * equidistant rows is scikit-learn's: always on the tree, and on brute force wherever
 * scikit-learn's BLAS products are exact (integer-valued data); elsewhere its products carry
 * rounding noise we cannot reproduce, and near-ties may resolve differently. The search
 * structures are built on first use and kept.
 *
 * Two modes:
 * - {@link NeighborIndex.training}: each training row's k nearest *other* rows (`kneighbors(None)`):
 *   the row itself is left out, but its exact duplicates count, at distance 0;
 * - {@link NeighborIndex.query}: new rows against all training rows.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` when k is not an integer in range.
 * @example
 * const index = new NeighborIndex(X.data, X.rows, X.cols);
 * const { distances } = index.training(5); // distances[i * 5 + 4]: row i's 5th nearest other row
 */
export class NeighborIndex {
  private tree: KDTree | undefined;
  private brute: BruteForce | undefined;

  /** `data`: `rows × cols` row-major, finite; it is referenced, not copied. */
  constructor(
    readonly data: Float64Array,
    readonly rows: number,
    readonly cols: number,
    readonly method: NeighborMethod = 'auto',
  ) {
    check(
      rows >= 1 && cols >= 1 && data.length === rows * cols,
      `neighbour search needs a non-empty rows x cols matrix`,
    );
  }

  /** Each training row's `k` nearest other training rows (`1 ≤ k ≤ rows − 1`). */
  training(k: number): Neighbors {
    const n = this.rows;
    check(
      Number.isInteger(k) && k >= 1 && k <= n - 1,
      `k must be an integer in [1, ${n - 1}] (the other training rows), got ${k}`,
    );
    // The neighbour tables hold n·(k+1) distances and indices (12 bytes each): refuse sizes that
    // would exhaust memory rather than crash the process.
    check(
      n * (k + 1) <= MAX_TABLE_ENTRIES,
      `${n} rows with ${k} neighbours each need ${((n * (k + 1) * 12) / 2 ** 30).toFixed(1)} GiB of neighbour tables; lower nNeighbors (at most ${Math.floor(MAX_TABLE_ENTRIES / n) - 1} here)`,
    );
    const K = k + 1;
    const dist2 = new Float64Array(n * K);
    const ind = new Int32Array(n * K);
    this.search(k).queryTraining(K, dist2, ind);
    const distances = new Float64Array(n * k);
    const indices = new Int32Array(n * k);
    for (let i = 0; i < n; i++) {
      // Drop the row itself; when k duplicates of it crowd it out of the k + 1, drop the first
      // (all are at distance 0), as scikit-learn does.
      let self = 0;
      for (let t = 0; t < K; t++) {
        if (ind[i * K + t] === i) {
          self = t;
          break;
        }
      }
      for (let t = 0, o = i * k; t < K; t++) {
        if (t === self) continue;
        distances[o] = Math.sqrt(dist2[i * K + t]!);
        indices[o++] = ind[i * K + t]!;
      }
    }
    return { rows: n, k, distances, indices };
  }

  /** The `k` nearest training rows (`1 ≤ k ≤ rows`) of each of the `m` rows of `queries`. */
  query(queries: Float64Array, m: number, k: number): Neighbors {
    check(
      Number.isInteger(k) && k >= 1 && k <= this.rows,
      `k must be an integer in [1, ${this.rows}] (the training rows), got ${k}`,
    );
    check(
      m >= 0 && queries.length === m * this.cols,
      `queries must be ${m} x ${this.cols}, got ${queries.length} values`,
    );
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    this.search(k).query(queries, m, k, distances, indices);
    for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]!);
    return { rows: m, k, distances, indices };
  }

  private search(k: number): KDTree | BruteForce {
    const method = this.method === 'auto' ? chooseMethod(this.rows, this.cols, k) : this.method;
    if (method === 'kd-tree') return (this.tree ??= new KDTree(this.data, this.rows, this.cols));
    return (this.brute ??= new BruteForce(this.data, this.rows, this.cols));
  }
}
