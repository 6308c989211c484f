import { DetectionError, DetectionErrorCode } from './errors.js';

/**
 * A dense, row-major matrix of float64 values with named columns.
 *
 * Element (i, j) lives at `data[i * cols + j]`. Rows are contiguous, so a row is a zero-copy
 * `subarray` and scoring loops stay cache friendly.
 *
 * @example
 * const X = Matrix.fromRows([[1, 2], [3, 4]], ['height', 'weight']);
 * X.get(1, 0); // 3
 */
export class Matrix {
  readonly featureNames: readonly string[];

  /**
   * @throws {DetectionError} `SHAPE_MISMATCH` when `data.length !== rows * cols` or the number of
   *   feature names differs from `cols`.
   */
  constructor(
    readonly data: Float64Array,
    readonly rows: number,
    readonly cols: number,
    featureNames?: readonly string[],
  ) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new DetectionError(
        DetectionErrorCode.InvalidArgument,
        `Matrix shape must be non-negative integers, got ${rows} x ${cols}`,
      );
    }
    if (data.length !== rows * cols) {
      throw new DetectionError(
        DetectionErrorCode.ShapeMismatch,
        `Matrix data has ${data.length} values but the shape ${rows} x ${cols} needs ${rows * cols}`,
      );
    }
    if (featureNames !== undefined && featureNames.length !== cols) {
      throw new DetectionError(
        DetectionErrorCode.ShapeMismatch,
        `Matrix has ${cols} columns but ${featureNames.length} feature names`,
      );
    }
    this.featureNames = featureNames ?? defaultFeatureNames(cols);
  }

  /** An all-zero matrix. */
  static zeros(rows: number, cols: number, featureNames?: readonly string[]): Matrix {
    return new Matrix(new Float64Array(rows * cols), rows, cols, featureNames);
  }

  /**
   * Builds a matrix from an array of rows (e.g. parsed JSON).
   *
   * @throws {DetectionError} `SHAPE_MISMATCH` when rows differ in length, naming the first bad row;
   *   `INVALID_ARGUMENT` when a value is not a number.
   */
  static fromRows(rows: ArrayLike<ArrayLike<number>>, featureNames?: readonly string[]): Matrix {
    const n = rows.length;
    const d = n > 0 ? rows[0]!.length : (featureNames?.length ?? 0);
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (row === null || typeof row !== 'object' || row.length !== d) {
        throw new DetectionError(
          DetectionErrorCode.ShapeMismatch,
          `Row ${i} has ${row?.length ?? 'no'} values but row 0 has ${d}`,
        );
      }
      for (let j = 0; j < d; j++) {
        const v = row[j];
        if (typeof v !== 'number') {
          throw new DetectionError(
            DetectionErrorCode.InvalidArgument,
            `Value at row ${i}, column ${j} is ${typeof v}, not a number`,
          );
        }
        data[i * d + j] = v;
      }
    }
    return new Matrix(data, n, d, featureNames);
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  /** Row `i` as a view sharing this matrix's memory. */
  row(i: number): Float64Array {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** Column `j` as a new array. */
  column(j: number): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0, k = j; i < this.rows; i++, k += this.cols) out[i] = this.data[k]!;
    return out;
  }

  /** The rows at `indices`, in that order, as a new matrix. */
  selectRows(indices: ArrayLike<number>): Matrix {
    const d = this.cols;
    const out = new Float64Array(indices.length * d);
    for (let r = 0; r < indices.length; r++) {
      const i = indices[r]!;
      out.set(this.data.subarray(i * d, i * d + d), r * d);
    }
    return new Matrix(out, indices.length, d, this.featureNames);
  }

  /** The columns at `indices`, in that order, as a new matrix. */
  selectColumns(indices: ArrayLike<number>): Matrix {
    const d = this.cols;
    const m = indices.length;
    const out = new Float64Array(this.rows * m);
    for (let i = 0; i < this.rows; i++) {
      for (let c = 0; c < m; c++) out[i * m + c] = this.data[i * d + indices[c]!]!;
    }
    const names = Array.from(indices, (j) => this.featureNames[j]!);
    return new Matrix(out, this.rows, m, names);
  }

  /** The rows as plain arrays (for JSON and tests; avoid on large data). */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }
}

/** What the detectors accept: a {@link Matrix} or an array of equally long numeric rows. */
export type MatrixInput = Matrix | ArrayLike<ArrayLike<number>>;

/** `f0 … f{d-1}`, the names given to unnamed columns. */
export function defaultFeatureNames(cols: number): string[] {
  return Array.from({ length: cols }, (_, j) => `f${j}`);
}

/** Converts input to a {@link Matrix} without copying when it already is one. */
export function asMatrix(X: MatrixInput): Matrix {
  return X instanceof Matrix ? X : Matrix.fromRows(X);
}

export interface InputCheck {
  /** Argument name used in messages, e.g. `'X'`. */
  arg: string;
  /** Calling function used in messages, e.g. `'fit'`. */
  fn: string;
  /** Accept NaN (missing values that a later step imputes). ±Infinity is always rejected. */
  allowNaN?: boolean;
  /** Required column count (the one seen in `fit`). */
  cols?: number;
}

/**
 * Converts and validates a detector input: at least one row and column, the expected column count,
 * only finite values (or NaN when `allowNaN`). Errors name the argument, the function and the first
 * offending row and column.
 */
export function checkMatrix(X: MatrixInput, check: InputCheck): Matrix {
  const where = `Argument '${check.arg}' passed to '${check.fn}'`;
  let M: Matrix;
  try {
    M = asMatrix(X);
  } catch (e) {
    if (e instanceof DetectionError) throw new DetectionError(e.code, `${where}: ${e.message}`);
    throw e;
  }
  if (M.rows === 0 || M.cols === 0) {
    throw new DetectionError(
      DetectionErrorCode.EmptyInput,
      `${where} is empty (${M.rows} rows x ${M.cols} columns); it needs at least one row and one column`,
    );
  }
  if (check.cols !== undefined && M.cols !== check.cols) {
    throw new DetectionError(
      DetectionErrorCode.ShapeMismatch,
      `${where} has ${M.cols} features, but the detector was fitted with ${check.cols}`,
    );
  }
  const data = M.data;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    // v - v is 0 for finite values and NaN for NaN and ±Infinity: one comparison in the hot path.
    if (v - v !== 0) {
      if (Number.isNaN(v) && check.allowNaN === true) continue;
      const i = Math.floor(k / M.cols);
      const j = k % M.cols;
      const what = Number.isNaN(v) ? 'NaN (missing)' : String(v);
      const hint = Number.isNaN(v)
        ? "; set missing: 'mean' or 'median' to impute missing values"
        : '';
      throw new DetectionError(
        DetectionErrorCode.NonFiniteValue,
        `${where} has ${what} at row ${i}, column ${j} ('${M.featureNames[j]}')${hint}`,
      );
    }
  }
  return M;
}
