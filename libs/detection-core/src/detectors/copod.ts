import { Detector, type CommonParams } from '../core/detector.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { ColumnEcdf, ECDF_BLOCK_ROWS } from './ecdf.js';

/** COPOD has no parameters of its own (only the common ones). */
export type COPODParams = Record<never, never>;

export const COPOD_PARAMS = {} as const satisfies ParamSpecs;

/**
 * COPOD, copula-based outlier detection (Li, Zhao, Botta, Ionescu & Hu, "COPOD: Copula-Based
 * Outlier Detection", ICDM 2020), as PyOD computes it.
 *
 * The empirical copula's margins are the training ECDFs of the features (see {@link ColumnEcdf}:
 * the conformal p-values (#{x_ij ≤ x_j} + 1) / (n + 1) and (#{x_ij ≥ x_j} + 1) / (n + 1), the same
 * formula for training and new rows, never 0). Per feature j, with L_j = −ln left_j(x_j),
 * R_j = −ln right_j(x_j) and the skewness-corrected S_j = L_j when the feature's sample skewness
 * γ_j < 0 and R_j otherwise:
 *
 *   O_j(x) = max(S_j, (L_j + R_j) / 2),   score(x) = Σ_j O_j(x)
 *
 * (higher = more anomalous). Unlike ECOD's maximum of three sums, the choice is made per feature
 * and the two-sided term averages both tails, so the scores differ.
 *
 * Differences from PyOD: PyOD scores new rows transductively (ECDFs and skewness of the training
 * rows concatenated with the rows being scored) and uses #{x_ij ≤ x_j} / n; its skewness-corrected
 * term for γ = 0 is L + R, and NaN for a constant column (scipy's skewness). Here the model is the
 * training data alone, γ = 0 reads the right tail as in ECOD, and a constant feature contributes 0
 * for its value and ln(n + 1) / 2 or more for any other.
 *
 * The paper's Algorithm 1 instead takes the maximum of the three sums Σ L, Σ R, Σ S — that is
 * ECOD's aggregation, available as {@link ECOD}.
 *
 * Explanations: the per-feature O_j; they sum to the score.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an unknown or invalid parameter.
 * @example
 * const copod = new COPOD().fit(X);
 * const { contributions } = copod.explain(newRows); // O_j per row and feature
 */
export class COPOD extends Detector<COPODParams> {
  readonly algorithm = 'copod';
  private ecdf: ColumnEcdf | undefined;

  constructor(params: Partial<COPODParams & CommonParams> = {}) {
    super('copod', COPOD_PARAMS, params);
  }

  override get explainable(): boolean {
    return true;
  }

  protected fitModel(X: Matrix): Float64Array {
    this.ecdf = ColumnEcdf.fit(X);
    return this.scoreModel(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return copodScores(this.model(), X, undefined);
  }

  protected override explainModel(X: Matrix): Float64Array {
    const contributions = new Float64Array(X.rows * X.cols);
    copodScores(this.model(), X, contributions);
    return contributions;
  }

  protected saveState(): Record<string, unknown> {
    return this.model().toState();
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    this.ecdf = ColumnEcdf.fromState(state, nFeatures);
  }

  private model(): ColumnEcdf {
    if (this.ecdf === undefined) throw new Error('internal error: COPOD has no ECDFs');
    return this.ecdf;
  }
}

/** COPOD scores of the rows of X; with `contributions`, also every O_j (row-major). */
function copodScores(
  ecdf: ColumnEcdf,
  X: Matrix,
  contributions: Float64Array | undefined,
): Float64Array {
  const { rows: n, cols: d } = X;
  const useLeft = new Uint8Array(d);
  for (let j = 0; j < d; j++) useLeft[j] = ecdf.skewness[j]! < 0 ? 1 : 0;
  const out = new Float64Array(n);
  const block = Math.min(n, ECDF_BLOCK_ROWS);
  const left = new Float64Array(block * d);
  const right = new Float64Array(block * d);
  for (let from = 0; from < n; from += block) {
    const to = Math.min(n, from + block);
    ecdf.tails(X, from, to, left, right);
    for (let r = from, o = 0; r < to; r++, o += d) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const l = left[o + j]!;
        const rt = right[o + j]!;
        const oj = Math.max(useLeft[j] === 1 ? l : rt, (l + rt) / 2);
        if (contributions !== undefined) contributions[r * d + j] = oj;
        s += oj;
      }
      out[r] = s;
    }
  }
  return out;
}
