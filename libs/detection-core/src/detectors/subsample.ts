import type { Matrix } from '../core/matrix.js';
import type { Random } from '../core/random.js';

/**
 * Draws ψ rows of X without replacement into `buf` (ψ × d, row-major) and resets `idx` to
 * 0 … ψ − 1: the sub-sample an isolation tree is grown on, copied so that growing it stays in
 * cache whatever the size of X.
 */
export function drawSubsample(
  X: Matrix,
  psi: number,
  rng: Random,
  buf: Float64Array,
  idx: Int32Array,
): void {
  const d = X.cols;
  const rows = rng.sample(X.rows, psi);
  for (let r = 0; r < psi; r++) {
    buf.set(X.data.subarray(rows[r]! * d, rows[r]! * d + d), r * d);
    idx[r] = r;
  }
}
