import { Detector, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { NeighborIndex, type Neighbors } from '../neighbors/k-nearest.js';
import { pairwiseMean } from '../neighbors/pairwise-sum.js';

export interface LOFParams {
  /** k: neighbours per row (MinPts), capped at the training rows − 1. */
  nNeighbors: number;
}

export const LOF_PARAMS = {
  nNeighbors: {
    type: 'integer',
    description:
      'Number of nearest neighbours k (MinPts), capped at the number of training rows - 1.',
    default: 20,
    minimum: 1,
    maximum: 10_000,
  },
} as const satisfies ParamSpecs;

/** Added to the mean reachability distance, as scikit-learn does, so duplicates do not divide by 0. */
const REACH_EPSILON = 1e-10;

/**
 * Local outlier factor (Breunig, Kriegel, Ng & Sander, "LOF: identifying density-based local
 * outliers", SIGMOD 2000). With N_k(a) the k nearest training rows of a and k-dist(b) the
 * distance from b to its own k-th nearest neighbour:
 *
 *   reach-dist(a, b) = max(d(a, b), k-dist(b))
 *   lrd(a)           = 1 / (mean_{b ∈ N_k(a)} reach-dist(a, b) + 1e-10)
 *   LOF(a)           = mean_{b ∈ N_k(a)} lrd(b) / lrd(a)
 *
 * About 1 inside a cluster, larger where a row is less dense than its neighbours; higher = more
 * anomalous. This is scikit-learn's `LocalOutlierFactor` exactly: training scores are
 * `-negative_outlier_factor_` (each row left out of its own neighbours, its exact duplicates
 * kept at distance 0), `score(X)` is `-score_samples(X)` of `novelty=True` (new rows against all
 * training rows, whose k-dist and lrd were fixed in `fit`). Neighbours are chosen among
 * equidistant rows as scikit-learn chooses them (see `NeighborIndex`) and means are summed as
 * numpy sums, so scores agree to the last bit wherever the distances do.
 *
 * The model keeps the preprocessed training matrix and each training row's k-dist and lrd.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an `nNeighbors` out of range.
 * @example
 * const lof = new LOF({ nNeighbors: 20 }).fit(X);
 * lof.trainingScores; // LOF of each training row
 * lof.score(newRows); // LOF of new rows relative to the training data
 */
export class LOF extends Detector<LOFParams> {
  readonly algorithm = 'lof';
  private index: NeighborIndex | undefined;
  private k = 0;
  /** k-dist of each training row. */
  private kDistance: Float64Array = new Float64Array(0);
  /** Local reachability density of each training row. */
  private lrd: Float64Array = new Float64Array(0);

  constructor(params: Partial<LOFParams & CommonParams> = {}) {
    super('lof', LOF_PARAMS, params);
  }

  protected fitModel(X: Matrix): Float64Array {
    const n = X.rows;
    const k = Math.min(this.params.nNeighbors, n - 1);
    this.index = new NeighborIndex(Float64Array.from(X.data), n, X.cols);
    this.k = k;
    const nb = this.index.training(k);
    this.kDistance = new Float64Array(n);
    for (let i = 0; i < n; i++) this.kDistance[i] = nb.distances[i * k + k - 1]!;
    this.lrd = this.densities(nb);
    return this.factors(nb, this.lrd);
  }

  protected scoreModel(X: Matrix): Float64Array {
    const nb = this.requireIndex().query(X.data, X.rows, this.k);
    return this.factors(nb, this.densities(nb));
  }

  protected saveState(): Record<string, unknown> {
    const index = this.requireIndex();
    return {
      neighbors: this.k,
      rows: index.rows,
      training: encodeArray(index.data),
      kDistance: encodeArray(this.kDistance),
      lrd: encodeArray(this.lrd),
    };
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
    const kDistance = decodeArray(state['kDistance'], 'float64', 'state.kDistance', rows);
    const lrd = decodeArray(state['lrd'], 'float64', 'state.lrd', rows);
    check(training.every(Number.isFinite), 'the training matrix holds a non-finite value');
    check(
      kDistance.every((v) => v >= 0 && Number.isFinite(v)),
      'kDistance must be finite and >= 0',
    );
    check(
      lrd.every((v) => v > 0 && Number.isFinite(v)),
      'lrd must be finite and > 0',
    );
    this.index = new NeighborIndex(training, rows, nFeatures);
    this.k = expected;
    this.kDistance = kDistance;
    this.lrd = lrd;
  }

  /** lrd of each query row of `nb` from its distances and its neighbours' k-dist. */
  private densities(nb: Neighbors): Float64Array {
    const { rows, k, distances, indices } = nb;
    const kDistance = this.kDistance;
    const reach = new Float64Array(k);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let t = 0; t < k; t++)
        reach[t] = Math.max(distances[i * k + t]!, kDistance[indices[i * k + t]!]!);
      out[i] = 1 / (pairwiseMean(reach, 0, k) + REACH_EPSILON);
    }
    return out;
  }

  /** LOF of each query row of `nb`, given the rows' own densities. */
  private factors(nb: Neighbors, density: Float64Array): Float64Array {
    const { rows, k, indices } = nb;
    const lrd = this.lrd;
    const ratio = new Float64Array(k);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let t = 0; t < k; t++) ratio[t] = lrd[indices[i * k + t]!]! / density[i]!;
      out[i] = pairwiseMean(ratio, 0, k);
    }
    return out;
  }

  private requireIndex(): NeighborIndex {
    if (this.index === undefined) throw new Error('internal error: lof has no neighbour index');
    return this.index;
  }
}
