/**
 * The 2-D view of scored rows: their first two principal components.
 *
 * Each feature is standardized (mean 0, population standard deviation 1, as scikit-learn's
 * StandardScaler and detection-core's PCA do; a constant feature is only centred), the
 * covariance of the standardized rows is formed (divisor n − 1), and its two leading
 * eigenvectors are found by power iteration with deflation — O(d²) per step, enough for the
 * d × d matrices of tabular data, with no linear-algebra library in the browser bundle. Each
 * component's sign is fixed so that its largest-magnitude entry is positive, so the picture does
 * not flip between runs. Missing values are replaced by their column's mean before all this.
 */

export interface Projection {
  /** Coordinates of row i on the first and second principal component. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Variance along the two components (eigenvalues of the covariance, divisor n − 1). */
  readonly variance: readonly [number, number];
  /** Share of the total variance each component explains, in [0, 1]. */
  readonly explained: readonly [number, number];
  /** The two unit eigenvectors, one entry per feature. */
  readonly components: readonly [Float64Array, Float64Array];
}

const MAX_ITERATIONS = 1000;
/** Largest change of any entry of the vector between two steps that counts as converged. */
const TOLERANCE = 1e-9;

/**
 * Projects `rows` (n rows of d numbers; `null` or non-finite entries count as missing) onto their
 * first two principal components. With one feature the second coordinate is 0; with fewer than
 * two rows every coordinate is 0.
 *
 * @throws {Error} when the rows do not all have the same length, naming the first that differs.
 */
export function projectRows(rows: ReadonlyArray<ReadonlyArray<number | null>>): Projection {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  rows.forEach((row, i) => {
    if (row.length !== d) {
      throw new Error(`projectRows: row ${i} has ${row.length} values, row 0 has ${d}`);
    }
  });
  const z = standardize(rows, n, d);
  const covariance = new Float64Array(d * d);
  if (n >= 2) {
    for (let r = 0; r < n; r++) {
      const offset = r * d;
      for (let i = 0; i < d; i++) {
        const zi = z[offset + i]!;
        if (zi === 0) continue;
        for (let j = 0; j <= i; j++)
          covariance[i * d + j] = covariance[i * d + j]! + zi * z[offset + j]!;
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        const value = covariance[i * d + j]! / (n - 1);
        covariance[i * d + j] = value;
        covariance[j * d + i] = value;
      }
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += covariance[i * d + i]!;
  const first = leadingEigen(covariance, d);
  deflate(covariance, d, first.vector, first.value);
  const second =
    d >= 2 ? leadingEigen(covariance, d, first.vector) : { value: 0, vector: new Float64Array(d) };
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let px = 0;
    let py = 0;
    for (let j = 0; j < d; j++) {
      const v = z[r * d + j]!;
      px += v * first.vector[j]!;
      py += v * second.vector[j]!;
    }
    x[r] = px;
    y[r] = py;
  }
  const share = (value: number): number => (trace > 0 ? Math.min(1, value / trace) : 0);
  return {
    x,
    y,
    variance: [first.value, second.value],
    explained: [share(first.value), share(second.value)],
    components: [first.vector, second.vector],
  };
}

/** Row-major n × d standardized values, missing entries imputed with the column mean. */
function standardize(
  rows: ReadonlyArray<ReadonlyArray<number | null>>,
  n: number,
  d: number,
): Float64Array {
  const z = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let sum = 0;
    let count = 0;
    for (let r = 0; r < n; r++) {
      const v = rows[r]![j];
      if (typeof v === 'number' && Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    let squares = 0;
    for (let r = 0; r < n; r++) {
      const v = rows[r]![j];
      const value = typeof v === 'number' && Number.isFinite(v) ? v : mean;
      z[r * d + j] = value - mean;
      squares += (value - mean) ** 2;
    }
    const std = n > 0 ? Math.sqrt(squares / n) : 0;
    // A constant column stays centred (all zeros) instead of dividing by ~0.
    if (std > 1e-12 * Math.max(1, Math.abs(mean))) {
      for (let r = 0; r < n; r++) z[r * d + j] = z[r * d + j]! / std;
    }
  }
  return z;
}

/**
 * The largest eigenvalue of a symmetric positive semi-definite matrix and its unit vector,
 * orthogonal to `orthogonalTo` when given: once the first component is deflated, rounding (or a
 * matrix with no variance left) must not let the iteration drift back towards it.
 */
function leadingEigen(
  matrix: Float64Array,
  d: number,
  orthogonalTo?: Float64Array,
): { value: number; vector: Float64Array } {
  // A start with a component along every axis, uneven so that it is not orthogonal to the
  // leading eigenvector of a symmetric pattern.
  let vector: Float64Array = new Float64Array(d);
  for (let i = 0; i < d; i++) vector[i] = 1 + i / (d + 1);
  if (orthogonalTo !== undefined) removeComponent(vector, orthogonalTo);
  if (normalize(vector) === 0) return { value: 0, vector };
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const next = multiply(matrix, d, vector);
    if (orthogonalTo !== undefined) removeComponent(next, orthogonalTo);
    // No variance left in any direction: every vector is an eigenvector of 0.
    if (normalize(next) === 0) return { value: 0, vector: orient(vector) };
    let change = 0;
    for (let i = 0; i < d; i++) change = Math.max(change, Math.abs(next[i]! - vector[i]!));
    vector = next;
    if (change < TOLERANCE) break;
  }
  // The Rayleigh quotient vᵀ·A·v is the eigenvalue of the converged unit vector.
  const product = multiply(matrix, d, vector);
  let rayleigh = 0;
  for (let i = 0; i < d; i++) rayleigh += vector[i]! * product[i]!;
  return { value: Math.max(0, rayleigh), vector: orient(vector) };
}

/** v ← v − (v·u)·u for a unit vector u. */
function removeComponent(vector: Float64Array, unit: Float64Array): void {
  let dot = 0;
  for (let i = 0; i < vector.length; i++) dot += vector[i]! * unit[i]!;
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! - dot * unit[i]!;
}

function multiply(matrix: Float64Array, d: number, vector: Float64Array): Float64Array {
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += matrix[i * d + j]! * vector[j]!;
    out[i] = sum;
  }
  return out;
}

function normalize(vector: Float64Array): number {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return norm;
}

/** Removes λ·v·vᵀ, so the next power iteration finds the next eigenvector. */
function deflate(matrix: Float64Array, d: number, vector: Float64Array, value: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++)
      matrix[i * d + j] = matrix[i * d + j]! - value * vector[i]! * vector[j]!;
  }
}

/** The sign that makes the largest-magnitude entry positive (the first one on ties). */
function orient(vector: Float64Array): Float64Array {
  let largest = 0;
  for (let i = 1; i < vector.length; i++) {
    if (Math.abs(vector[i]!) > Math.abs(vector[largest]!)) largest = i;
  }
  if ((vector[largest] ?? 0) < 0) for (let i = 0; i < vector.length; i++) vector[i] = -vector[i]!;
  return vector;
}
