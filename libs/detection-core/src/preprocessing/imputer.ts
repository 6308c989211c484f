import { check, DetectionError, DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { mean, quantileSorted } from '../core/stats.js';
import { presentSorted } from './scaler.js';

/**
 * What to do with missing values (NaN): `reject` them with an error naming the row and column
 * (the default: silently guessing data is a decision the user should make), or replace them by
 * the training column's `mean` or `median`.
 */
export type MissingPolicy = 'reject' | 'mean' | 'median';

export const MISSING_POLICIES: readonly MissingPolicy[] = ['reject', 'mean', 'median'];

export interface ImputerState {
  policy: MissingPolicy;
  fill: number[];
}

/**
 * Replaces NaN by a per-column value learned in `fit`. A column with no value at all in the
 * training data is filled with 0, so that imputation can never leave a NaN behind.
 *
 * @example
 * const imputer = Imputer.fit(X, 'median');
 * const complete = imputer.transform(X);
 */
export class Imputer {
  private constructor(
    readonly policy: MissingPolicy,
    private readonly fill: Float64Array,
  ) {}

  static fit(X: Matrix, policy: MissingPolicy): Imputer {
    check(MISSING_POLICIES.includes(policy), `unknown missing-value policy '${String(policy)}'`);
    const fill = new Float64Array(X.cols);
    if (policy !== 'reject') {
      for (let j = 0; j < X.cols; j++) {
        const col = presentSorted(X, j);
        if (col.length > 0) fill[j] = policy === 'mean' ? mean(col) : quantileSorted(col, 0.5);
      }
    }
    return new Imputer(policy, fill);
  }

  static fromJSON(state: ImputerState): Imputer {
    check(
      MISSING_POLICIES.includes(state.policy),
      `unknown missing-value policy '${state.policy}'`,
    );
    if (!state.fill.every((v) => Number.isFinite(v))) {
      throw new DetectionError(
        DetectionErrorCode.InvalidModel,
        'imputer fill values must be finite',
      );
    }
    return new Imputer(state.policy, Float64Array.from(state.fill));
  }

  /** Whether `transform` can meet a NaN (callers validate input accordingly). */
  get acceptsMissing(): boolean {
    return this.policy !== 'reject';
  }

  /** A copy of `X` with NaN replaced, or `X` itself when it has no NaN. */
  transform(X: Matrix): Matrix {
    if (this.policy === 'reject') return X;
    const src = X.data;
    let first = -1;
    for (let k = 0; k < src.length; k++) {
      if (Number.isNaN(src[k]!)) {
        first = k;
        break;
      }
    }
    if (first < 0) return X;
    const out = Float64Array.from(src);
    const d = X.cols;
    for (let k = first; k < out.length; k++) {
      if (Number.isNaN(out[k]!)) out[k] = this.fill[k % d]!;
    }
    return new Matrix(out, X.rows, d, X.featureNames);
  }

  toJSON(): ImputerState {
    return { policy: this.policy, fill: Array.from(this.fill) };
  }
}
