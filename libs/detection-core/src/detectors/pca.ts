import { Detector, overflowError, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { symmetricEigen } from '../linalg/eigen.js';
import { meanAndCovariance } from '../linalg/moments.js';
import { decodeArray, encodeArray } from '../model/encoding.js';

export interface PCAParams {
  /** Principal components kept, k; `null` picks the smallest k reaching `varianceRatio`. */
  nComponents: number | null;
  /** Share of the variance the kept components must explain when `nComponents` is null. */
  varianceRatio: number;
  /** Standardize each column (mean 0, population standard deviation 1) before the PCA. */
  standardize: boolean;
}

export const PCA_PARAMS = {
  nComponents: {
    type: 'integer',
    description:
      'Number of principal components k that span the normal subspace (at most the number of features minus 1); null picks the smallest k whose cumulative explained variance reaches varianceRatio, clipped to [1, d-1].',
    default: null,
    minimum: 1,
    maximum: 100_000,
    nullable: true,
  },
  varianceRatio: {
    type: 'number',
    description:
      'Share of the total variance the kept components must explain when nComponents is null.',
    default: 0.95,
    exclusiveMinimum: 0,
    maximum: 1,
  },
  standardize: {
    type: 'boolean',
    description:
      "Standardize each column to mean 0 and (population) standard deviation 1 before the PCA, as scikit-learn's StandardScaler; constant columns are only centred.",
    default: true,
  },
} as const satisfies ParamSpecs;

/**
 * Principal-component reconstruction error (Shyu, Chen, Sarinnapakorn & Chang, "A novel anomaly
 * detection scheme based on principal component classifier", Foundations and New Directions of Data
 * Mining workshop at ICDM 2003), in its reconstruction-error form.
 *
 * The rows are standardized (optional) and centred, z = (x − m)/s − μ_z; the k leading
 * eigenvectors V_k of their covariance span the "normal" subspace. The score is the squared
 * distance from the row to that subspace,
 *
 *   score(x) = ‖z − V_k·V_kᵀ·z‖² = Σ_{j>k} (v_jᵀ·z)²,
 *
 * the part of the row that the normal correlation structure cannot explain (Shyu et al.'s minor
 * component statistic Σ_{j>k} y_j²/λ_j without the division by λ_j); higher = more anomalous.
 * k is `nComponents`, or the smallest k whose cumulative explained variance reaches
 * `varianceRatio`, clipped to [1, d − 1]. With the defaults this equals scikit-learn's
 * `StandardScaler` → `PCA(svd_solver="full")` reconstruction error (the project's reference
 * definition): standardization uses the population standard deviation and leaves a constant
 * column centred but unscaled, as `StandardScaler` does.
 *
 * The eigenvectors come from the symmetric eigendecomposition of the d × d covariance (EISPACK
 * tred2/tql2), O(n·d² + d³). Scoring projects each row on whichever of the kept or the discarded
 * eigenvectors are fewer, O(d·min(k, d − k)) per row.
 *
 * Explanations: the squared residual of each (standardized) feature, (z − V_k·V_kᵀ·z)_j²; they
 * are non-negative and sum to the score.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` from `fit` for data with one feature (no residual
 *   subspace) or `nComponents` not below the number of features.
 * @example
 * const pca = new PCA({ varianceRatio: 0.9 }).fit(X);
 * const scores = pca.score(newRows);
 */
export class PCA extends Detector<PCAParams> {
  readonly algorithm = 'pca';
  private model: PcaModel | undefined;

  constructor(params: Partial<PCAParams & CommonParams> = {}) {
    super('pca', PCA_PARAMS, params);
  }

  override get explainable(): boolean {
    return true;
  }

  /** Number of principal components kept (k). */
  get nComponents(): number {
    return this.requireModel().k;
  }

  /** Variance of the data along each principal component, descending (divisor n − 1). */
  get explainedVariance(): Float64Array {
    return this.requireModel().explainedVariance.slice();
  }

  protected fitModel(X: Matrix): Float64Array {
    const { nComponents, varianceRatio, standardize } = this.params;
    const n = X.rows;
    const d = X.cols;
    check(
      d >= 2,
      `PCA needs at least 2 features to leave a residual subspace, got ${d}; use a univariate detector for one feature`,
    );
    check(
      nComponents === null || nComponents < d,
      `parameter 'nComponents' of pca must be less than the number of features (${d}), got ${nComponents}`,
    );
    const center = new Float64Array(d);
    const scale = new Float64Array(d).fill(1);
    let Z = X.data;
    if (standardize) {
      const { mean, covariance } = meanAndCovariance(X.data, d, { ddof: 0 });
      for (let j = 0; j < d; j++) {
        const m = mean[j]!;
        const v = Math.max(covariance[j * d + j]!, 0);
        center[j] = m;
        // scikit-learn's `_is_constant_feature`: a variance within rounding error of zero.
        const eps = Number.EPSILON;
        const constant = v <= n * eps * v + (n * m * eps) ** 2;
        const s = Math.sqrt(v);
        scale[j] = constant || s < 10 * eps ? 1 : s;
      }
      Z = new Float64Array(n * d);
      for (let k = 0; k < n * d; k += d) {
        for (let j = 0; j < d; j++) Z[k + j] = (X.data[k + j]! - center[j]!) / scale[j]!;
      }
    }
    const { mean, covariance } = meanAndCovariance(Z, d, { ddof: 1 });
    if (!covariance.every(Number.isFinite))
      throw overflowError('pca', 'overflowed computing the covariance');
    const eig = symmetricEigen(covariance, d);
    const explainedVariance = new Float64Array(d);
    let total = 0;
    for (let j = 0; j < d; j++) {
      // Rounding can leave the eigenvalue of a flat direction slightly negative.
      explainedVariance[j] = Math.max(eig.values[j]!, 0);
      total += explainedVariance[j]!;
    }
    const k = nComponents ?? componentsFor(explainedVariance, total, varianceRatio);
    const components = new Float64Array(d * d);
    for (let c = 0; c < d; c++) {
      for (let j = 0; j < d; j++) components[c * d + j] = eig.vectors[j * d + c]!;
    }
    this.model = buildModel({ center, scale, mean, components, explainedVariance, k, d });
    return this.model.score(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return this.requireModel().score(X);
  }

  protected override explainModel(X: Matrix): Float64Array {
    return this.requireModel().explain(X);
  }

  protected saveState(): Record<string, unknown> {
    const m = this.requireModel();
    return {
      nComponents: m.k,
      center: encodeArray(m.center),
      scale: encodeArray(m.scale),
      mean: encodeArray(m.mean),
      components: encodeArray(m.components),
      explainedVariance: encodeArray(m.explainedVariance),
    };
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const d = nFeatures;
    const k = state['nComponents'];
    check(
      typeof k === 'number' && Number.isInteger(k) && k >= 1 && k < d,
      `nComponents must be an integer in [1, ${d - 1}]`,
    );
    check(
      this.params.nComponents === null || this.params.nComponents === k,
      `nComponents ${k} differs from the parameter ${this.params.nComponents}`,
    );
    const center = decodeArray(state['center'], 'float64', 'state.center', d);
    const scale = decodeArray(state['scale'], 'float64', 'state.scale', d);
    const mean = decodeArray(state['mean'], 'float64', 'state.mean', d);
    const components = decodeArray(state['components'], 'float64', 'state.components', d * d);
    const explainedVariance = decodeArray(
      state['explainedVariance'],
      'float64',
      'state.explainedVariance',
      d,
    );
    for (const [name, a] of [
      ['center', center],
      ['scale', scale],
      ['mean', mean],
      ['components', components],
      ['explainedVariance', explainedVariance],
    ] as const) {
      check(a.every(Number.isFinite), `state.${name} holds a non-finite value`);
    }
    check(
      scale.every((s) => s > 0),
      'state.scale must be positive',
    );
    this.model = buildModel({ center, scale, mean, components, explainedVariance, k, d });
  }

  private requireModel(): PcaModel {
    if (this.model === undefined) throw new Error('internal error: PCA model missing');
    return this.model;
  }
}

/** Smallest k with cumulative explained variance ratio ≥ `ratio`, clipped to [1, d − 1]. */
function componentsFor(variance: Float64Array, total: number, ratio: number): number {
  const d = variance.length;
  if (!(total > 0)) return 1;
  let cum = 0;
  let k = d;
  for (let j = 0; j < d; j++) {
    cum += variance[j]! / total;
    if (cum >= ratio) {
      k = j + 1;
      break;
    }
  }
  return Math.max(1, Math.min(k, d - 1));
}

interface PcaState {
  center: Float64Array;
  scale: Float64Array;
  /** Mean of the standardized training rows (zero up to rounding when standardizing). */
  mean: Float64Array;
  /** Row-major d × d: row c is the c-th principal axis (descending variance). */
  components: Float64Array;
  explainedVariance: Float64Array;
  k: number;
  d: number;
}

interface PcaModel extends PcaState {
  score(X: Matrix): Float64Array;
  explain(X: Matrix): Float64Array;
}

/**
 * The scoring form: the residual r = z − V_k·V_kᵀ·z, computed as V_c·V_cᵀ·z from the d − k
 * discarded axes when they are fewer than the kept ones (equal in exact arithmetic, since the
 * axes are orthonormal), so a row costs 2·d·min(k, d − k) multiply–adds.
 */
function buildModel(s: PcaState): PcaModel {
  const { center, scale, mean, components, k, d } = s;
  const useKept = k <= d - k;
  const m = useKept ? k : d - k;
  const B = components.slice(useKept ? 0 : k * d, useKept ? k * d : d * d);
  // z = (x − center)/scale − mean; centring first keeps large offsets from costing accuracy.
  const inv = new Float64Array(d);
  for (let j = 0; j < d; j++) inv[j] = 1 / scale[j]!;

  /**
   * Writes the residuals of rows [start, start + 4) into `r` (4 × d, zero rows past the end).
   * Four rows share each load of B; padding keeps a row's result independent of its position.
   */
  const z = new Float64Array(4 * d);
  const p = new Float64Array(4 * m);
  const block = (data: Float64Array, rows: number, start: number, r: Float64Array): void => {
    const d2 = 2 * d;
    const d3 = 3 * d;
    for (let b = 0; b < 4; b++) {
      const q = b * d;
      if (start + b >= rows) {
        z.fill(0, q, q + d);
        continue;
      }
      const o = (start + b) * d;
      for (let j = 0; j < d; j++) z[q + j] = (data[o + j]! - center[j]!) * inv[j]! - mean[j]!;
    }
    for (let c = 0; c < m; c++) {
      const row = c * d;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let j = 0; j < d; j++) {
        const v = B[row + j]!;
        t0 += v * z[j]!;
        t1 += v * z[d + j]!;
        t2 += v * z[d2 + j]!;
        t3 += v * z[d3 + j]!;
      }
      p[4 * c] = t0;
      p[4 * c + 1] = t1;
      p[4 * c + 2] = t2;
      p[4 * c + 3] = t3;
    }
    if (useKept) r.set(z);
    else r.fill(0);
    // r = z − B_kᵀ·p (kept axes) or r = B_cᵀ·p (discarded axes).
    const sign = useKept ? -1 : 1;
    for (let c = 0; c < m; c++) {
      const row = c * d;
      const t0 = sign * p[4 * c]!;
      const t1 = sign * p[4 * c + 1]!;
      const t2 = sign * p[4 * c + 2]!;
      const t3 = sign * p[4 * c + 3]!;
      for (let j = 0; j < d; j++) {
        const v = B[row + j]!;
        r[j] = r[j]! + t0 * v;
        r[d + j] = r[d + j]! + t1 * v;
        r[d2 + j] = r[d2 + j]! + t2 * v;
        r[d3 + j] = r[d3 + j]! + t3 * v;
      }
    }
  };

  return {
    ...s,
    score(X: Matrix): Float64Array {
      const out = new Float64Array(X.rows);
      const r = new Float64Array(4 * d);
      for (let start = 0; start < X.rows; start += 4) {
        block(X.data, X.rows, start, r);
        const valid = Math.min(4, X.rows - start);
        for (let b = 0; b < valid; b++) {
          let t = 0;
          for (let j = b * d; j < (b + 1) * d; j++) t += r[j]! * r[j]!;
          out[start + b] = t;
        }
      }
      return out;
    },
    explain(X: Matrix): Float64Array {
      const out = new Float64Array(X.rows * d);
      const r = new Float64Array(4 * d);
      for (let start = 0; start < X.rows; start += 4) {
        block(X.data, X.rows, start, r);
        const valid = Math.min(4, X.rows - start);
        for (let k = 0; k < valid * d; k++) out[start * d + k] = r[k]! * r[k]!;
      }
      return out;
    },
  };
}
