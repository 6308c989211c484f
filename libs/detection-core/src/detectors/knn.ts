import { Detector, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { NeighborIndex, type Neighbors } from '../neighbors/k-nearest.js';
import { pairwiseMean } from '../neighbors/pairwise-sum.js';

/** How the distances to the k nearest neighbours become one score. */
export const KNN_METHODS = ['largest', 'mean', 'median'] as const;
export type KnnMethod = (typeof KNN_METHODS)[number];

export interface KNNParams {
  /** k: neighbours per row, capped at the training rows − 1. */
  nNeighbors: number;
  /** Distance to the k-th neighbour, or the mean or median of the k distances. */
  method: KnnMethod;
}

export const KNN_PARAMS = {
  nNeighbors: {
    type: 'integer',
    description: 'Number of nearest neighbours k (capped at the number of training rows - 1).',
    default: 5,
    minimum: 1,
    maximum: 10_000,
  },
  method: {
    type: 'string',
    description:
      "Score from the k neighbour distances: 'largest' (distance to the k-th), 'mean' or 'median'.",
    default: 'largest',
    enum: KNN_METHODS,
  },
} as const satisfies ParamSpecs;

/**
 * k-nearest-neighbour distance detector (Ramaswamy, Rastogi & Shim, "Efficient algorithms for
 * mining outliers from large data sets", SIGMOD 2000: the distance to the k-th nearest neighbour;
 * Angiulli & Pizzuti, "Fast outlier detection in high dimensional spaces", PKDD 2002: the mean
 * distance to the k nearest). With d_1 ≤ … ≤ d_k the Euclidean distances from x to its k
 * nearest training rows:
 *
 *   largest: d_k      mean: (d_1 + … + d_k) / k      median: the median of d_1 … d_k
 *
 * Higher = more anomalous. This is PyOD's `KNN`: training scores leave each row out of its own
 * neighbours (scikit-learn's `kneighbors(None)`; exact duplicates of the row still count, at
 * distance 0); `score(X)` measures new rows against all training rows. k is capped at the
 * training rows − 1 for both, so the threshold fitted on training scores applies to new ones.
 * Means are summed as numpy does, so scores equal PyOD's up to the last bit wherever the
 * distances do.
 *
 * Neighbours come from an exact search (a KD-tree up to 15 features, blocked brute force above;
 * see `NeighborIndex`). The model keeps the preprocessed training matrix.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an `nNeighbors` or `method` out of range.
 * @example
 * const knn = new KNN({ nNeighbors: 10, method: 'mean' }).fit(X);
 * const scores = knn.score(newRows);
 */
export class KNN extends Detector<KNNParams> {
  readonly algorithm = 'knn';
  private index: NeighborIndex | undefined;
  /** The k in use: `nNeighbors` capped at the training rows − 1. */
  private k = 0;

  constructor(params: Partial<KNNParams & CommonParams> = {}) {
    super('knn', KNN_PARAMS, params);
  }

  protected fitModel(X: Matrix): Float64Array {
    // A copy: the index must not change if the caller reuses the array.
    this.index = new NeighborIndex(Float64Array.from(X.data), X.rows, X.cols);
    this.k = Math.min(this.params.nNeighbors, X.rows - 1);
    return this.aggregate(this.index.training(this.k));
  }

  protected scoreModel(X: Matrix): Float64Array {
    return this.aggregate(this.requireIndex().query(X.data, X.rows, this.k));
  }

  protected saveState(): Record<string, unknown> {
    const index = this.requireIndex();
    return { neighbors: this.k, rows: index.rows, training: encodeArray(index.data) };
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const { rows, neighbors } = state;
    check(
      typeof rows === 'number' && Number.isInteger(rows) && rows >= 2,
      'rows must be an integer >= 2',
    );
    const expected = Math.min(this.params.nNeighbors, rows - 1);
    check(
      neighbors === expected,
      `neighbors must be min(nNeighbors, rows - 1) = ${expected}, got ${String(neighbors)}`,
    );
    const training = decodeArray(state['training'], 'float64', 'state.training', rows * nFeatures);
    check(training.every(Number.isFinite), 'the training matrix holds a non-finite value');
    this.index = new NeighborIndex(training, rows, nFeatures);
    this.k = expected;
  }

  private aggregate(nb: Neighbors): Float64Array {
    const { rows, k, distances } = nb;
    const out = new Float64Array(rows);
    const method = this.params.method;
    for (let i = 0; i < rows; i++) {
      const o = i * k;
      switch (method) {
        case 'largest':
          out[i] = distances[o + k - 1]!;
          break;
        case 'mean':
          out[i] = pairwiseMean(distances, o, k);
          break;
        case 'median':
          // Distances are sorted; an even k averages the two middle ones, as np.median does.
          out[i] =
            k % 2 === 1
              ? distances[o + (k >> 1)]!
              : (distances[o + k / 2 - 1]! + distances[o + k / 2]!) / 2;
          break;
      }
    }
    return out;
  }

  private requireIndex(): NeighborIndex {
    if (this.index === undefined) throw new Error('internal error: knn has no neighbour index');
    return this.index;
  }
}
