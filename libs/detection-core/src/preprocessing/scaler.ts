import { check, DetectionError, DetectionErrorCode } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { mean, quantileSorted, std } from '../core/stats.js';

/** How a column is scaled before a detector sees it. */
export type ScalingMethod = 'none' | 'standard' | 'robust' | 'minmax';

export const SCALING_METHODS: readonly ScalingMethod[] = ['none', 'standard', 'robust', 'minmax'];

/** The fitted state of a {@link Scaler}, as stored in model documents. */
export interface ScalerState {
  method: ScalingMethod;
  center: number[];
  scale: number[];
}

/**
 * Column scaling, z = (x − center) / scale, with three definitions of center and scale:
 *
 * - `standard`: mean and population standard deviation (scikit-learn's `StandardScaler`);
 * - `robust`: median and interquartile range q75 − q25 (`RobustScaler`), unmoved by outliers;
 * - `minmax`: minimum and range, mapping the training data onto [0, 1] (`MinMaxScaler`).
 *
 * A constant column gets scale 1, so it becomes a column of zeros instead of NaN. NaN entries
 * (missing values still to be imputed) are ignored when fitting and left as NaN.
 *
 * @example
 * const scaler = Scaler.fit(X, 'robust');
 * const Z = scaler.transform(X);
 */
export class Scaler {
  private constructor(
    readonly method: ScalingMethod,
    private readonly center: Float64Array,
    private readonly scale: Float64Array,
  ) {}

  /** Learns center and scale per column of `X`. */
  static fit(X: Matrix, method: ScalingMethod): Scaler {
    check(SCALING_METHODS.includes(method), `unknown scaling method '${String(method)}'`);
    const center = new Float64Array(X.cols);
    const scale = new Float64Array(X.cols).fill(1);
    if (method !== 'none') {
      for (let j = 0; j < X.cols; j++) {
        const col = presentSorted(X, j);
        if (col.length === 0) continue;
        let c: number;
        let s: number;
        if (method === 'standard') {
          c = mean(col);
          s = std(col, c);
        } else if (method === 'robust') {
          c = quantileSorted(col, 0.5);
          s = quantileSorted(col, 0.75) - quantileSorted(col, 0.25);
        } else {
          c = col[0]!;
          s = col[col.length - 1]! - c;
        }
        center[j] = c;
        scale[j] = s > 0 && Number.isFinite(s) ? s : 1;
      }
    }
    return new Scaler(method, center, scale);
  }

  /** Restores a scaler from {@link Scaler.toJSON}. */
  static fromJSON(state: ScalerState): Scaler {
    check(SCALING_METHODS.includes(state.method), `unknown scaling method '${state.method}'`);
    if (state.center.length !== state.scale.length) {
      throw new DetectionError(
        DetectionErrorCode.InvalidModel,
        'scaler center and scale differ in length',
      );
    }
    return new Scaler(
      state.method,
      Float64Array.from(state.center),
      Float64Array.from(state.scale),
    );
  }

  /** Number of columns the scaler was fitted on. */
  get cols(): number {
    return this.center.length;
  }

  /** Scales `X` into a new matrix (returns `X` itself for `none`). */
  transform(X: Matrix): Matrix {
    if (this.method === 'none') return X;
    const d = X.cols;
    const out = new Float64Array(X.data.length);
    const src = X.data;
    for (let k = 0; k < src.length; k += d) {
      for (let j = 0; j < d; j++) out[k + j] = (src[k + j]! - this.center[j]!) / this.scale[j]!;
    }
    return new Matrix(out, X.rows, d, X.featureNames);
  }

  toJSON(): ScalerState {
    return { method: this.method, center: Array.from(this.center), scale: Array.from(this.scale) };
  }
}

/** The non-NaN values of column `j`, ascending. */
export function presentSorted(X: Matrix, j: number): Float64Array {
  const out = new Float64Array(X.rows);
  let c = 0;
  for (let i = 0, k = j; i < X.rows; i++, k += X.cols) {
    const v = X.data[k]!;
    if (!Number.isNaN(v)) out[c++] = v;
  }
  return out.subarray(0, c).sort();
}
