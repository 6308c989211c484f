import type { CommonParams } from '../core/detector.js';
import type { ParamSpecs } from '../core/params.js';
import { TailProbabilityDetector } from './tail-probability-detector.js';

/** COPOD has no parameters of its own (only the common ones). */
export type COPODParams = Record<never, never>;

export const COPOD_PARAMS = {} as const satisfies ParamSpecs;

/**
 * COPOD, copula-based outlier detection (Li, Zhao, Botta, Ionescu & Hu, "COPOD: Copula-Based
 * Outlier Detection", ICDM 2020), as PyOD computes it.
 *
 * The empirical copula's margins are the training ECDFs of the features (see `ColumnEcdf` in ecdf.ts:
 * the conformal p-values (#{x_ij ≤ x_j} + 1) / (n + 1) and (#{x_ij ≥ x_j} + 1) / (n + 1), the same
 * formula for training and new rows, never 0). Per feature j, with L_j = −ln left_j(x_j),
 * R_j = −ln right_j(x_j) and the skewness-corrected S_j = L_j when the feature's sample skewness
 * γ_j < 0 and R_j otherwise:
 *
 *   O_j(x) = max(S_j, (L_j + R_j) / 2),   score(x) = Σ_j O_j(x)
 *
 * (higher = more anomalous). ECOD takes the larger tail of each feature, max(L_j, R_j); here the
 * skewness picks the tail and the two-sided term averages both, so the scores differ.
 *
 * Differences from PyOD: PyOD scores new rows transductively (ECDFs and skewness of the training
 * rows concatenated with the rows being scored) and uses #{x_ij ≤ x_j} / n; its skewness-corrected
 * term for γ = 0 is L + R, and NaN for a constant column (scipy's skewness). Here the model is the
 * training data alone, γ = 0 reads the right tail, and a constant feature contributes 0 for its
 * value and ln(n + 1) / 2 or more for any other.
 *
 * The paper's Algorithm 1 instead takes the maximum of the three sums Σ L, Σ R, Σ S; we follow
 * the authors' implementation, as for ECOD.
 *
 * Explanations: the per-feature O_j; they sum to the score.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an unknown or invalid parameter.
 * @example
 * const copod = new COPOD().fit(X);
 * const { contributions } = copod.explain(newRows); // O_j per row and feature
 */
export class COPOD extends TailProbabilityDetector<COPODParams> {
  readonly algorithm = 'copod';

  constructor(params: Partial<COPODParams & CommonParams> = {}) {
    super('copod', COPOD_PARAMS, params);
  }

  protected term(left: number, right: number, leftSkewed: boolean): number {
    return Math.max(leftSkewed ? left : right, (left + right) / 2);
  }
}
