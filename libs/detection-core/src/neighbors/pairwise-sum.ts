/** Below this many values the sum is a single unrolled block (numpy's `PW_BLOCKSIZE`). */
const BLOCK = 128;

/**
 * Σ a[off … off+n) by numpy's pairwise summation (`pairwise_sum` in `loops_utils.h`): eight
 * interleaved partial sums per block of ≤ 128 values, blocks combined recursively. Scores
 * defined as means (`np.mean(axis=1)`) then round exactly as scikit-learn's and PyOD's do.
 *
 * @example
 * pairwiseSum(Float64Array.of(1, 2, 3), 0, 3); // 6
 */
export function pairwiseSum(a: Float64Array, off: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = off; i < off + n; i++) s += a[i]!;
    return s;
  }
  if (n <= BLOCK) {
    let r0 = a[off]!;
    let r1 = a[off + 1]!;
    let r2 = a[off + 2]!;
    let r3 = a[off + 3]!;
    let r4 = a[off + 4]!;
    let r5 = a[off + 5]!;
    let r6 = a[off + 6]!;
    let r7 = a[off + 7]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = off + i;
      r0 += a[o]!;
      r1 += a[o + 1]!;
      r2 += a[o + 2]!;
      r3 += a[o + 3]!;
      r4 += a[o + 4]!;
      r5 += a[o + 5]!;
      r6 += a[o + 6]!;
      r7 += a[o + 7]!;
    }
    let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) s += a[off + i]!;
    return s;
  }
  let half = n >> 1;
  half -= half % 8;
  return pairwiseSum(a, off, half) + pairwiseSum(a, off + half, n - half);
}

/** The mean of a[off … off+n) as `np.mean`: the pairwise sum divided by n. */
export function pairwiseMean(a: Float64Array, off: number, n: number): number {
  return pairwiseSum(a, off, n) / n;
}
