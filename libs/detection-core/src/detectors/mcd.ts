import { Detector, SEED_PARAM_SPEC, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { Random } from '../core/random.js';
import { chiSquareQuantile } from '../linalg/chi-square.js';
import { cholesky } from '../linalg/cholesky.js';
import { symmetricEigen } from '../linalg/eigen.js';
import { meanAndCovariance } from '../linalg/moments.js';
import { mahalanobisSquared, whitening, type Whitening } from '../linalg/whitening.js';
import { decodeArray, encodeArray } from '../model/encoding.js';

export interface MCDParams {
  /** Share h/n of the rows in the MCD support; `null` means h = ⌈(n + d + 1)/2⌉. */
  supportFraction: number | null;
  /** Random initial subsets of d + 1 rows; `null` means 500 (as FastMCD), fewer for wide data. */
  nStarts: number | null;
  seed: number;
}

export const MCD_PARAMS = {
  supportFraction: {
    type: 'number',
    description:
      'Share of the rows whose covariance matrix has the minimum determinant (h/n); null means h = ceil((n + d + 1)/2), the maximal breakdown point. Must leave more rows than features.',
    default: null,
    exclusiveMinimum: 0,
    maximum: 1,
    nullable: true,
  },
  nStarts: {
    type: 'integer',
    description:
      'Number of random initial subsets of d + 1 rows, each refined by two C-steps; more starts make finding the global minimum likelier, at proportional cost. null means 500 as in FastMCD, reduced to ceil(500 (40/d)^2) (at least 50) beyond 40 features, where each start costs O(d^2) per row.',
    default: null,
    minimum: 1,
    maximum: 100_000,
    nullable: true,
  },
  ...SEED_PARAM_SPEC,
} as const satisfies ParamSpecs;

/** Eigenvalues of the training correlation matrix below this share of the largest are null directions. */
const RANK_TOLERANCE = 1e-10;
/** Candidates kept per subset and carried to the next stage (10 in FastMCD). */
const KEEP = 10;
/** Rows per subset in the large-n scheme (300 in FastMCD), and at most this many subsets. */
const SUBSET_ROWS = 300;
const MAX_SUBSETS = 5;
/** C-steps run on the initial subsets and on the merged set. */
const SHORT_C_STEPS = 2;
/** Bound on the C-steps of the final iteration; each step never increases the determinant. */
const MAX_C_STEPS = 100;

/**
 * Robust Mahalanobis distance under the Minimum Covariance Determinant estimator (Rousseeuw,
 * "Least median of squares regression", JASA 1984), computed by FastMCD (Rousseeuw & Van
 * Driessen, "A fast algorithm for the minimum covariance determinant estimator", Technometrics
 * 1999) and post-processed as scikit-learn's `MinCovDet`.
 *
 * The MCD is the mean and covariance of the h rows whose covariance matrix has the smallest
 * determinant — the tightest part of the data, which outliers cannot drag far (breakdown point
 * (n − h + 1)/n) — with h = ⌈(n + d + 1)/2⌉ by default. FastMCD searches for it with C-steps
 * (keep the h rows closest to the current estimate in Mahalanobis distance, re-estimate), each
 * of which never increases the determinant, from random (d + 1)-row starts (extended by random
 * rows while singular):
 *
 * - n < 600: `nStarts` starts with two C-steps each; the 10 best iterated to convergence;
 * - larger n: the starts are spread over up to 5 disjoint random subsets of 300 rows, keeping the
 *   best tenth (at most 10) of each; those get two C-steps on the union of the subsets, the 10
 *   best two more on all rows, and the best is iterated to convergence — the paper leaves the
 *   number of full-data candidates to the data size, and one keeps fits on 10⁵ rows in seconds.
 *
 * Then, as scikit-learn: the consistency factor median(d²)/χ²_d(0.5) rescales the raw distances,
 * and the rows with rescaled d² < χ²_d(0.975) give the reweighted location μ and covariance Σ
 * (divisor n). The score is the squared robust Mahalanobis distance, higher = more anomalous:
 *
 *   score(x) = (x − μ)ᵀ·Σ⁻¹·(x − μ)
 *
 * It equals `MinCovDet(random_state=…).fit(X).mahalanobis(X)` whenever both searches reach the
 * same support. The random streams differ (scikit-learn draws h-row starts with numpy), so on data
 * whose objective has many local minima (few rows per dimension) the two may settle on different
 * ones, as scikit-learn does with another `random_state`.
 *
 * Singular covariances — the non-degenerate subspace, never a ridge. Columns constant in the
 * training data are set aside; when the remaining columns are linearly dependent (an eigenvalue of
 * their correlation matrix below 1e-10 of the largest), the search runs on the principal axes
 * that carry variance, and d above means the dimension r of that subspace (in h and in the χ²
 * quantiles). Σ⁻¹ is then the inverse on that subspace (a generalized inverse, stored as
 * `precision`): deviations along directions in which the training data never varied add nothing
 * to the score. Inside the search, an h-subset with a singular covariance (discrete data, where
 * more than h rows share a value in some direction) is the paper's "exact fit": it ends its
 * C-steps and its distances use the pseudo-inverse, as `scipy.linalg.pinvh` in scikit-learn; the
 * reweighting step usually restores a full-rank covariance. When more than half of the rows
 * coincide, the raw covariance is zero, the consistency factor is taken as 1 and the reweighting
 * keeps every row (the classical estimate).
 *
 * The search runs on standardized columns (the MCD is affine equivariant, so only rounding
 * changes) and draws from a seeded generator: the same seed gives the same model and scores.
 * Beyond 74 features the subsets grow to 4(d + 1) rows, so each keeps more rows than features,
 * and the default number of starts shrinks beyond 40 features (see `nStarts`).
 *
 * Explanations: the exact decomposition d²(x) = Σ_j (x − μ)_j·(Σ⁻¹(x − μ))_j. A term is negative
 * when feature j's deviation is in the direction the correlations predict from the other
 * features' deviations (the row is less surprising than that feature alone suggests); the terms
 * sum to the score.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` from `fit` when `supportFraction` leaves no more
 *   rows than (non-constant, independent) features.
 * @example
 * const mcd = new MCD({ seed: 1 }).fit(X);
 * const d2 = mcd.score(newRows); // squared robust Mahalanobis distances
 */
export class MCD extends Detector<MCDParams> {
  readonly algorithm = 'mcd';
  private model: McdModel | undefined;

  constructor(params: Partial<MCDParams & CommonParams> = {}) {
    super('mcd', MCD_PARAMS, params);
  }

  override get explainable(): boolean {
    return true;
  }

  /** Robust location μ (reweighted), in the units the detector saw. */
  get location(): Float64Array {
    return this.requireModel().location.slice();
  }

  /** Robust covariance Σ (reweighted), row-major d × d. */
  get covariance(): Float64Array {
    return this.requireModel().covariance.slice();
  }

  /** The (generalized) inverse of Σ used in the scores, row-major d × d. */
  get precision(): Float64Array {
    return this.requireModel().precision.slice();
  }

  /** Rows in the raw MCD support (h) and in the reweighted support. */
  get support(): { raw: number; reweighted: number } {
    const m = this.requireModel();
    return { raw: m.rawSupport, reweighted: m.support };
  }

  protected fitModel(X: Matrix): Float64Array {
    this.model = fitMcd(X, this.params);
    return quadraticForms(this.model, X, undefined);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return quadraticForms(this.requireModel(), X, undefined);
  }

  protected override explainModel(X: Matrix): Float64Array {
    const out = new Float64Array(X.rows * X.cols);
    quadraticForms(this.requireModel(), X, out);
    return out;
  }

  protected saveState(): Record<string, unknown> {
    const m = this.requireModel();
    return {
      location: encodeArray(m.location),
      covariance: encodeArray(m.covariance),
      precision: encodeArray(m.precision),
      rank: m.rank,
      rawSupport: m.rawSupport,
      support: m.support,
      consistency: m.consistency,
    };
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const d = nFeatures;
    const location = decodeArray(state['location'], 'float64', 'state.location', d);
    const covariance = decodeArray(state['covariance'], 'float64', 'state.covariance', d * d);
    const precision = decodeArray(state['precision'], 'float64', 'state.precision', d * d);
    for (const [name, a] of [
      ['location', location],
      ['covariance', covariance],
      ['precision', precision],
    ] as const) {
      check(a.every(Number.isFinite), `state.${name} holds a non-finite value`);
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        check(precision[i * d + j] === precision[j * d + i], 'state.precision is not symmetric');
      }
    }
    const { rank, rawSupport, support, consistency } = state;
    check(
      typeof rank === 'number' && Number.isInteger(rank) && rank >= 0 && rank <= d,
      `state.rank must be an integer in [0, ${d}]`,
    );
    check(
      typeof rawSupport === 'number' && Number.isInteger(rawSupport) && rawSupport >= 1,
      'state.rawSupport must be a positive integer',
    );
    check(
      typeof support === 'number' && Number.isInteger(support) && support >= 1,
      'state.support must be a positive integer',
    );
    check(
      typeof consistency === 'number' && consistency > 0 && Number.isFinite(consistency),
      'state.consistency must be a positive number',
    );
    this.model = { location, covariance, precision, rank, rawSupport, support, consistency };
  }

  private requireModel(): McdModel {
    if (this.model === undefined) throw new Error('internal error: MCD model missing');
    return this.model;
  }
}

/** The fitted MCD in the detector's input units. */
interface McdModel {
  location: Float64Array;
  covariance: Float64Array;
  precision: Float64Array;
  /** Dimension of the subspace the estimate lives in (d unless columns are constant or dependent). */
  rank: number;
  rawSupport: number;
  support: number;
  consistency: number;
}

/**
 * Scores (x − μ)ᵀ·P·(x − μ) of every row; with `contributions`, also writes the terms
 * (x − μ)_j·(P(x − μ))_j, whose sum in j order is the score. Four rows at a time share each load
 * of P; a last partial block is padded with zero rows, so a row's score does not depend on its
 * position.
 */
function quadraticForms(
  model: McdModel,
  X: Matrix,
  contributions: Float64Array | undefined,
): Float64Array {
  const { location, precision: P } = model;
  const d = X.cols;
  const rows = X.rows;
  const data = X.data;
  const out = new Float64Array(rows);
  const c = new Float64Array(4 * d);
  const d2 = 2 * d;
  const d3 = 3 * d;
  for (let r = 0; r < rows; r += 4) {
    const o = r * d;
    const valid = Math.min(4, rows - r);
    for (let b = 0; b < 4; b++) {
      const q = b * d;
      if (b >= valid) {
        c.fill(0, q, q + d);
        continue;
      }
      for (let j = 0; j < d; j++) c[q + j] = data[o + q + j]! - location[j]!;
    }
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const row = j * d;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let k = 0; k < d; k++) {
        const p = P[row + k]!;
        t0 += p * c[k]!;
        t1 += p * c[d + k]!;
        t2 += p * c[d2 + k]!;
        t3 += p * c[d3 + k]!;
      }
      const u0 = c[j]! * t0;
      const u1 = c[d + j]! * t1;
      const u2 = c[d2 + j]! * t2;
      const u3 = c[d3 + j]! * t3;
      if (contributions !== undefined) {
        contributions[o + j] = u0;
        if (valid > 1) contributions[o + d + j] = u1;
        if (valid > 2) contributions[o + d2 + j] = u2;
        if (valid > 3) contributions[o + d3 + j] = u3;
      }
      s0 += u0;
      s1 += u1;
      s2 += u2;
      s3 += u3;
    }
    // P is positive semi-definite: a negative sum is rounding around zero.
    out[r] = Math.max(s0, 0);
    if (valid > 1) out[r + 1] = Math.max(s1, 0);
    if (valid > 2) out[r + 2] = Math.max(s2, 0);
    if (valid > 3) out[r + 3] = Math.max(s3, 0);
  }
  return out;
}

/** A location and scatter estimate in the search coordinates, with its whitening map. */
interface Estimate {
  mean: Float64Array;
  covariance: Float64Array;
  w: Whitening;
  logDet: number;
}

function estimateOf(Y: Float64Array, r: number, rows: ArrayLike<number>): Estimate {
  const { mean, covariance } = meanAndCovariance(Y, r, { rows });
  const w = whitening(covariance, r);
  return { mean, covariance, w, logDet: w.logDeterminant };
}

function fitMcd(X: Matrix, params: MCDParams): McdModel {
  const n = X.rows;
  const space = searchSpace(X);
  const { r, Y } = space;
  if (r === 0) {
    // Every column is constant: every row sits at the location, every distance is 0.
    const d = X.cols;
    return {
      location: space.location,
      covariance: new Float64Array(d * d),
      precision: new Float64Array(d * d),
      rank: 0,
      rawSupport: n,
      support: n,
      consistency: 1,
    };
  }

  const h = Math.min(
    n,
    params.supportFraction === null
      ? Math.ceil((n + r + 1) / 2)
      : Math.floor(params.supportFraction * n),
  );
  check(
    h > r,
    `parameter 'supportFraction' of mcd keeps ${h} of ${n} rows, but the MCD needs more rows than the ${r} (non-constant, independent) features; raise supportFraction`,
  );

  const rng = new Random(params.seed);
  const raw =
    r === 1 ? univariateMcd(Y, n, h) : fastMcd(Y, n, r, h, params.nStarts ?? defaultStarts(r), rng);

  // Consistency factor and reweighting, as scikit-learn's correct_covariance/reweight_covariance.
  const dist = new Float64Array(n);
  mahalanobisSquared(raw.w, Y, n, raw.mean, dist);
  const med = median(dist);
  const consistency = med > 0 ? med / chiSquareQuantile(0.5, r) : 1;
  const cut = chiSquareQuantile(0.975, r);
  const inliers: number[] = [];
  for (let i = 0; i < n; i++) if (dist[i]! / consistency < cut) inliers.push(i);
  const final = estimateOf(Y, r, inliers);
  return {
    ...toInputUnits(space, final, X.cols),
    rank: r,
    rawSupport: h,
    support: inliers.length,
    consistency,
  };
}

/**
 * The coordinates the search runs in: y = axesᵀ·((x − m)/sd) over the non-constant columns, where
 * `axes` (q × r) are the eigenvectors of their correlation matrix with non-negligible eigenvalues,
 * or the identity (no projection) when that matrix has full rank.
 */
interface SearchSpace {
  kept: number[];
  mean: Float64Array;
  sd: Float64Array;
  axes: Float64Array | undefined;
  r: number;
  /** Row-major n × r. */
  Y: Float64Array;
  /** Training mean on the kept columns, the constant value on the others. */
  location: Float64Array;
}

function searchSpace(X: Matrix): SearchSpace {
  const { rows: n, cols: d, data } = X;
  const stats = meanAndCovariance(data, d);
  const kept: number[] = [];
  const sd = new Float64Array(d);
  const location = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let varies = false;
    for (let k = d + j; k < data.length; k += d) {
      if (data[k] !== data[j]) {
        varies = true;
        break;
      }
    }
    sd[j] = Math.sqrt(Math.max(stats.covariance[j * d + j]!, 0));
    if (varies && sd[j]! > 0) kept.push(j);
    location[j] = varies ? stats.mean[j]! : data[j]!;
  }
  const q = kept.length;
  const Z = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < q; a++) {
      const j = kept[a]!;
      Z[i * q + a] = (data[i * d + j]! - stats.mean[j]!) / sd[j]!;
    }
  }
  const space = { kept, mean: stats.mean, sd, axes: undefined, r: q, Y: Z, location };
  if (q < 2) return space;
  const corr = new Float64Array(q * q);
  for (let a = 0; a < q; a++) {
    for (let b = 0; b < q; b++) {
      const ja = kept[a]!;
      const jb = kept[b]!;
      corr[a * q + b] = stats.covariance[ja * d + jb]! / (sd[ja]! * sd[jb]!);
    }
  }
  const eig = symmetricEigen(corr, q);
  const cutoff = RANK_TOLERANCE * eig.values[0]!;
  if (eig.values[q - 1]! > cutoff) return space;
  let r = 0;
  while (r < q && eig.values[r]! > cutoff) r++;
  const axes = new Float64Array(q * r);
  for (let a = 0; a < q; a++) {
    for (let t = 0; t < r; t++) axes[a * r + t] = eig.vectors[a * q + t]!;
  }
  const Y = new Float64Array(n * r);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < r; t++) {
      let s = 0;
      for (let a = 0; a < q; a++) s += Z[i * q + a]! * axes[a * r + t]!;
      Y[i * r + t] = s;
    }
  }
  return { ...space, axes, r, Y };
}

/**
 * The estimate (μ_y, Σ_y, its whitening W) mapped back to the input units. With y = A·(x − m),
 * A = axesᵀ·diag(1/sd) on the kept columns: precision P = (W·A)ᵀ·(W·A), location
 * m + diag(sd)·axes·μ_y, covariance diag(sd)·axes·Σ_y·axesᵀ·diag(sd); zero on constant columns.
 */
function toInputUnits(
  space: SearchSpace,
  e: Estimate,
  d: number,
): { location: Float64Array; covariance: Float64Array; precision: Float64Array } {
  const { kept, mean, sd, axes, r } = space;
  // G = diag(sd)·axes (d × r) and A = Gᵀ with 1/sd in place of sd (r × d).
  const G = new Float64Array(d * r);
  const A = new Float64Array(r * d);
  kept.forEach((j, a) => {
    for (let t = 0; t < r; t++) {
      const v = axes === undefined ? (t === a ? 1 : 0) : axes[a * r + t]!;
      G[j * r + t] = v * sd[j]!;
      A[t * d + j] = v / sd[j]!;
    }
  });
  const { rank, matrix: W } = e.w;
  const M = new Float64Array(rank * d);
  for (let i = 0; i < rank; i++) {
    for (let t = 0; t < r; t++) {
      const w = W[i * r + t]!;
      if (w === 0) continue;
      for (let j = 0; j < d; j++) M[i * d + j] = M[i * d + j]! + w * A[t * d + j]!;
    }
  }
  const precision = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let i = 0; i < rank; i++) s += M[i * d + j]! * M[i * d + k]!;
      precision[j * d + k] = s;
      precision[k * d + j] = s;
    }
  }
  const location = space.location.slice();
  for (const j of kept) {
    let s = 0;
    for (let t = 0; t < r; t++) s += G[j * r + t]! * e.mean[t]!;
    location[j] = mean[j]! + s;
  }
  const GS = new Float64Array(d * r);
  for (let j = 0; j < d; j++) {
    for (let t = 0; t < r; t++) {
      let s = 0;
      for (let u = 0; u < r; u++) s += G[j * r + u]! * e.covariance[u * r + t]!;
      GS[j * r + t] = s;
    }
  }
  const covariance = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += GS[j * r + t]! * G[k * r + t]!;
      covariance[j * d + k] = s;
      covariance[k * d + j] = s;
    }
  }
  return { location, covariance, precision };
}

/**
 * scikit-learn's exact univariate MCD: the shortest window x₍ᵢ₎ … x₍ᵢ₊ₕ₎ of the sorted values
 * gives the location (mid-range, averaged over ties); the h values closest to it give the variance.
 */
function univariateMcd(y: Float64Array, n: number, h: number): Estimate {
  const s = Float64Array.from(y.subarray(0, n)).sort();
  let loc: number;
  let variance: number;
  if (h < n) {
    let best = Infinity;
    for (let i = 0; i < n - h; i++) best = Math.min(best, s[i + h]! - s[i]!);
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n - h; i++) {
      if (s[i + h]! - s[i]! === best) {
        sum += 0.5 * (s[i + h]! + s[i]!);
        count++;
      }
    }
    loc = sum / count;
    const dev = new Float64Array(n);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(y[i]! - loc);
    const support = smallest(dev, n, h, new Float64Array(n), new Int32Array(h));
    variance = meanAndCovariance(y, 1, { rows: support }).covariance[0]!;
  } else {
    const m = meanAndCovariance(y, 1);
    loc = m.mean[0]!;
    variance = m.covariance[0]!;
  }
  const covariance = Float64Array.of(variance);
  const w = whitening(covariance, 1);
  return { mean: Float64Array.of(loc), covariance, w, logDet: w.logDeterminant };
}

/** 500 starts (FastMCD's choice) up to 40 dimensions; beyond, the same cost as at 40, at least 50. */
function defaultStarts(r: number): number {
  return r <= 40 ? 500 : Math.max(50, Math.ceil(500 * (40 / r) ** 2));
}

/** FastMCD's search for the h-subset of minimum covariance determinant; returns the raw estimate. */
function fastMcd(
  Y: Float64Array,
  n: number,
  r: number,
  h: number,
  nStarts: number,
  rng: Random,
): Estimate {
  const full = new Stage(Y, n, r, h);
  // Subsets must keep more rows than features: at least 4(r + 1) rows, so h_sub ≈ 2(r + 1).
  const subsetRows = Math.max(SUBSET_ROWS, 4 * (r + 1));
  const k = Math.min(MAX_SUBSETS, Math.floor(n / subsetRows));
  if (k < 2) {
    const top = best(starts(full, nStarts, rng), KEEP);
    return best(
      top.map((e) => full.refine(e, MAX_C_STEPS)),
      1,
    )[0]!;
  }

  const nMerged = Math.min(n, k * subsetRows);
  const pick = rng.sample(n, nMerged);
  const Ym = new Float64Array(nMerged * r);
  for (let i = 0; i < nMerged; i++) Ym.set(Y.subarray(pick[i]! * r, (pick[i]! + 1) * r), i * r);
  const pool: Estimate[] = [];
  for (let s = 0; s < k; s++) {
    const lo = Math.floor((s * nMerged) / k);
    const hi = Math.floor(((s + 1) * nMerged) / k);
    const sub = new Stage(Ym.subarray(lo * r, hi * r), hi - lo, r, Math.ceil(((hi - lo) * h) / n));
    const perSubset = Math.ceil(nStarts / k);
    // The best tenth of each subset's starts, at most 10 (10 of 100 in the paper).
    pool.push(...best(starts(sub, perSubset, rng), Math.min(KEEP, Math.ceil(perSubset / 10))));
  }
  const merged = new Stage(Ym, nMerged, r, Math.ceil((nMerged * h) / n));
  let top = best(
    pool.map((e) => merged.refine(e, SHORT_C_STEPS)),
    KEEP,
  );
  // On all rows (when the merged set is not already all of them), two more C-steps each; then,
  // as the paper allows for large n, only the best is iterated to convergence.
  if (nMerged < n) {
    top = best(
      top.map((e) => full.refine(e, SHORT_C_STEPS)),
      KEEP,
    );
  }
  return full.refine(top[0]!, MAX_C_STEPS);
}

/**
 * `count` random (r + 1)-subset starts on a stage, each refined by two C-steps. A singular start
 * is extended by random rows, one at a time, until its covariance is non-singular (the paper's
 * rule); the candidate prefix is tested on running moments (Welford's update), so a long
 * extension — discrete data, where many rows share values — costs O(r²) per row, not O(size·r²).
 */
function starts(stage: Stage, count: number, rng: Random): Estimate[] {
  const { m, r, Y } = stage;
  const perm = new Int32Array(m);
  for (let i = 0; i < m; i++) perm[i] = i;
  const delta = new Float64Array(r);
  const out: Estimate[] = [];
  for (let t = 0; t < count; t++) {
    // A partial Fisher–Yates shuffle draws the rows.
    let size = 0;
    const draw = (): void => {
      const j = size + rng.int(m - size);
      const v = perm[j]!;
      perm[j] = perm[size]!;
      perm[size++] = v;
    };
    while (size < Math.min(r + 1, m)) draw();
    let est = estimateOf(Y, r, perm.subarray(0, size));
    if (est.logDet === -Infinity && size < m) {
      const mean = est.mean.slice();
      const scatter = est.covariance.map((v) => v * size);
      while (size < m) {
        draw();
        const o = perm[size - 1]! * r;
        const f = (size - 1) / size;
        for (let j = 0; j < r; j++) delta[j] = Y[o + j]! - mean[j]!;
        for (let j = 0; j < r; j++) mean[j] = mean[j]! + delta[j]! / size;
        for (let a = 0; a < r; a++) {
          for (let b = 0; b < r; b++)
            scatter[a * r + b] = scatter[a * r + b]! + f * delta[a]! * delta[b]!;
        }
        if (cholesky(scatter, r) !== undefined) {
          est = estimateOf(Y, r, perm.subarray(0, size));
          if (est.logDet !== -Infinity) break;
        }
      }
      if (est.logDet === -Infinity) est = estimateOf(Y, r, perm.subarray(0, size));
    }
    out.push(stage.refine(est, SHORT_C_STEPS));
  }
  return out;
}

/** The `keep` estimates of lowest determinant, ties in input order. */
function best(estimates: Estimate[], keep: number): Estimate[] {
  return estimates
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.logDet === b.e.logDet ? a.i - b.i : a.e.logDet < b.e.logDet ? -1 : 1))
    .slice(0, keep)
    .map((x) => x.e);
}

/** Rows of one search stage (a subset, the merged set or all rows) and the C-step on them. */
class Stage {
  private readonly dist: Float64Array;
  private readonly scratch: Float64Array;
  private readonly support: Int32Array;

  constructor(
    readonly Y: Float64Array,
    readonly m: number,
    readonly r: number,
    readonly h: number,
  ) {
    this.dist = new Float64Array(m);
    this.scratch = new Float64Array(m);
    this.support = new Int32Array(h);
  }

  /** The estimate of the h rows closest to `e` (one C-step). */
  step(e: Estimate): Estimate {
    mahalanobisSquared(e.w, this.Y, this.m, e.mean, this.dist);
    return estimateOf(
      this.Y,
      this.r,
      smallest(this.dist, this.m, this.h, this.scratch, this.support),
    );
  }

  /**
   * scikit-learn's `_c_step` from initial estimates: C-steps while the determinant decreases,
   * at most `maxSteps` after the first; an exact fit (singular covariance) ends the iteration.
   */
  refine(init: Estimate, maxSteps: number): Estimate {
    let e = this.step(init);
    let prev: Estimate | undefined;
    let prevDet = Infinity;
    let remaining = maxSteps;
    while (e.logDet < prevDet && remaining > 0 && e.logDet !== -Infinity) {
      prev = e;
      prevDet = e.logDet;
      e = this.step(e);
      remaining--;
    }
    // Rounding can make the determinant creep up; only a real increase returns the previous one.
    if (
      prev !== undefined &&
      e.logDet > prevDet &&
      Math.abs(e.logDet - prevDet) > 1e-8 + 1e-5 * Math.abs(prevDet)
    ) {
      return prev;
    }
    return e;
  }
}

/**
 * Indices (ascending) of the h smallest of `values[0 … m)`, ties broken by lower index, written
 * to `out`. O(m) expected: a quickselect on a copy finds the h-th smallest value.
 */
function smallest(
  values: Float64Array,
  m: number,
  h: number,
  scratch: Float64Array,
  out: Int32Array,
): Int32Array {
  scratch.set(values.subarray(0, m));
  const t = kthSmallest(scratch, m, h - 1);
  let ties = h;
  for (let i = 0; i < m; i++) if (values[i]! < t) ties--;
  let c = 0;
  for (let i = 0; i < m; i++) {
    const v = values[i]!;
    if (v < t) out[c++] = i;
    else if (v === t && ties > 0) {
      out[c++] = i;
      ties--;
    }
  }
  return out;
}

/** The k-th smallest (0-based) of a[0 … len), reordering `a` (Hoare's selection, median of three). */
function kthSmallest(a: Float64Array, len: number, k: number): number {
  let l = 0;
  let ir = len - 1;
  const swap = (i: number, j: number): void => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  for (;;) {
    if (ir <= l + 1) {
      if (ir === l + 1 && a[ir]! < a[l]!) swap(l, ir);
      return a[k]!;
    }
    const mid = (l + ir) >>> 1;
    swap(mid, l + 1);
    if (a[l]! > a[ir]!) swap(l, ir);
    if (a[l + 1]! > a[ir]!) swap(l + 1, ir);
    if (a[l]! > a[l + 1]!) swap(l, l + 1);
    let i = l + 1;
    let j = ir;
    const pivot = a[l + 1]!;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (j < i) break;
      swap(i, j);
    }
    a[l + 1] = a[j]!;
    a[j] = pivot;
    if (j >= k) ir = j - 1;
    if (j <= k) l = i;
  }
}

/** numpy's median: the middle value, or the mean of the two middle values. */
function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}
