import { Detector } from '../core/detector.js';
import type { Matrix } from '../core/matrix.js';
import { ColumnEcdf, ECDF_BLOCK_ROWS } from './ecdf.js';

/**
 * The common body of ECOD and COPOD: both fit the training ECDF of every feature (see
 * {@link ColumnEcdf}), turn each value into its left and right tail terms L_j = −ln left_j(x_j)
 * and R_j = −ln right_j(x_j), and sum one term per feature. They differ only in that per-feature
 * term, so explanations (the terms) always sum to the score.
 */
export abstract class TailProbabilityDetector<P extends object> extends Detector<P> {
  private ecdf: ColumnEcdf | undefined;

  override get explainable(): boolean {
    return true;
  }

  /**
   * Feature j's contribution from its tail terms; `leftSkewed` is whether the feature's training
   * skewness is negative (its anomalies sit in the left tail).
   */
  protected abstract term(left: number, right: number, leftSkewed: boolean): number;

  protected fitModel(X: Matrix): Float64Array {
    this.ecdf = ColumnEcdf.fit(X);
    return this.scoreModel(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return this.terms(X, undefined);
  }

  protected override explainModel(X: Matrix): Float64Array {
    const contributions = new Float64Array(X.rows * X.cols);
    this.terms(X, contributions);
    return contributions;
  }

  protected saveState(): Record<string, unknown> {
    return this.model().toState();
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    this.ecdf = ColumnEcdf.fromState(state, nFeatures);
  }

  /** Scores of the rows of X; with `contributions`, also every term (row-major). */
  private terms(X: Matrix, contributions: Float64Array | undefined): Float64Array {
    const ecdf = this.model();
    const { rows: n, cols: d } = X;
    const leftSkewed = Array.from(ecdf.skewness, (g) => g < 0);
    const out = new Float64Array(n);
    const block = Math.min(n, ECDF_BLOCK_ROWS);
    const left = new Float64Array(block * d);
    const right = new Float64Array(block * d);
    for (let from = 0; from < n; from += block) {
      const to = Math.min(n, from + block);
      ecdf.tails(X, from, to, left, right);
      for (let r = from, o = 0; r < to; r++, o += d) {
        let score = 0;
        for (let j = 0; j < d; j++) {
          const t = this.term(left[o + j]!, right[o + j]!, leftSkewed[j]!);
          if (contributions !== undefined) contributions[r * d + j] = t;
          score += t;
        }
        out[r] = score;
      }
    }
    return out;
  }

  private model(): ColumnEcdf {
    if (this.ecdf === undefined) throw new Error(`internal error: ${this.algorithm} has no ECDFs`);
    return this.ecdf;
  }
}
