/**
 * Maps feature values to ranks among a fixed set of split thresholds, so that tree traversal
 * compares small integers instead of doubles.
 *
 * For each feature f with ascending unique thresholds s_f, `rank(x) = #{s ∈ s_f : s < x}`. A split
 * "go right when x > t" with t = s_f[p] is then exactly "go right when rank(x) > p", and that
 * integer test compiles to branch-free arithmetic — the random left/right outcomes of isolation
 * trees otherwise defeat the CPU's branch predictor on every level.
 *
 * `quantizeLanes` finds ranks through an equal-width grid over each feature's threshold range
 * (four cells per threshold, so a cell rarely holds more than one), then corrects the cell's
 * rank with one branch-free comparison and, in the rare cases that is not enough, short scans.
 * Each feature's thresholds sit between a −∞ and a +∞ sentinel, so the scans need no bounds
 * tests and always stop.
 */
export class ThresholdQuantizer {
  /** Every feature's ascending unique thresholds, each run between a −∞ and a +∞ sentinel. */
  private readonly values: Float64Array;
  /** values[first[f] … first[f] + count(f)) are feature f's thresholds. */
  private readonly first: Int32Array;
  private readonly counts: Int32Array;
  /**
   * Grid cell → rank of the first threshold ≥ the cell's lower edge, per feature; each feature's
   * cells are followed by one entry equal to its threshold count, the upper bound of its last cell.
   */
  private readonly grid: Int32Array;
  private readonly gridStart: Int32Array;
  private readonly lo: Float64Array;
  private readonly invWidth: Float64Array;

  /** @param thresholds per feature, the thresholds used by splits on it (any order, repeats allowed). */
  constructor(thresholds: readonly Float64Array[]) {
    const d = thresholds.length;
    const uniq = thresholds.map(uniqueSorted);
    this.counts = Int32Array.from(uniq, (u) => u.length);
    this.first = new Int32Array(d);
    this.gridStart = new Int32Array(d + 1);
    let size = 0;
    for (let f = 0; f < d; f++) {
      this.first[f] = size + 1;
      size += uniq[f]!.length + 2;
      this.gridStart[f + 1] = this.gridStart[f]! + Math.max(1, 4 * uniq[f]!.length) + 1;
    }
    this.values = new Float64Array(size);
    this.grid = new Int32Array(this.gridStart[d]!);
    this.lo = new Float64Array(d);
    this.invWidth = new Float64Array(d);
    for (let f = 0; f < d; f++) {
      const u = uniq[f]!;
      const b = this.first[f]!;
      this.values[b - 1] = -Infinity;
      this.values.set(u, b);
      this.values[b + u.length] = Infinity;
      const g0 = this.gridStart[f]!;
      const cells = this.gridStart[f + 1]! - g0 - 1;
      this.grid[g0 + cells] = u.length;
      if (u.length < 2) continue;
      const lo = u[0]!;
      const width = (u[u.length - 1]! - lo) / cells;
      this.lo[f] = lo;
      this.invWidth[f] = 1 / width;
      let r = 0;
      for (let c = 0; c < cells; c++) {
        const edge = lo + c * width;
        while (r < u.length && u[r]! < edge) r++;
        this.grid[g0 + c] = r;
      }
    }
  }

  /** Number of distinct thresholds of feature f (ranks run from 0 to this value). */
  count(f: number): number {
    return this.counts[f]!;
  }

  /** rank(x) for feature f: how many of its thresholds are strictly below x. */
  rank(f: number, x: number): number {
    const b = this.first[f]!;
    return lowerBound(this.values, b, b + this.counts[f]!, x) - b;
  }

  /**
   * Ranks of a row-major block `src` (rows × d), shifted left by `shift`, into `dst` from index
   * `at`, grouped by `lanes` rows: dst[at + g·lanes·d + f·lanes + k] = rank of feature f in row
   * g·lanes + k, << shift. The last group is padded with 0. Same ranks as `rank`, feature by
   * feature so that each feature's grid stays in registers and cache.
   */
  quantizeLanes(
    src: Float64Array,
    rows: number,
    d: number,
    lanes: number,
    shift: number,
    dst: Int32Array,
    at: number,
  ): void {
    const v = this.values;
    const grid = this.grid;
    const groups = Math.ceil(rows / lanes);
    const stride = lanes * d;
    for (let f = 0; f < d; f++) {
      const b = this.first[f]!;
      const g0 = this.gridStart[f]!;
      const lastCell = this.gridStart[f + 1]! - g0 - 2;
      const lo = this.lo[f]!;
      const inv = this.invWidth[f]!;
      for (let g = 0; g < groups; g++) {
        const o = at + g * stride + f * lanes;
        const n = Math.min(lanes, rows - g * lanes);
        for (let k = 0; k < n; k++) {
          const x = src[(g * lanes + k) * d + f]!;
          // Clamped to the grid whatever rounding did; a NaN (0 · ∞ on a degenerate grid) gives 0.
          const c = Math.min(lastCell, Math.max(0, (x - lo) * inv)) | 0;
          let r = grid[g0 + c]!;
          const hi = grid[g0 + c + 1]!;
          // A crowded cell is binary-searched; any other usually holds at most one threshold,
          // counted by +(a < b), which compiles to a flag read rather than a mispredicted branch.
          if (hi - r > 8) r = lowerBound(v, b + r, b + hi, x) - b;
          else r += +(v[b + r]! < x);
          // Exact whatever the cell: the sentinels stop both scans.
          while (v[b + r]! < x) r++;
          while (v[b + r - 1]! >= x) r--;
          dst[o + k] = r << shift;
        }
        for (let k = n; k < lanes; k++) dst[o + k] = 0;
      }
    }
  }
}

/** First index in [lo, hi) of the ascending `v` whose value is ≥ x. */
function lowerBound(v: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function uniqueSorted(a: Float64Array): Float64Array {
  const s = Float64Array.from(a).sort();
  let w = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[w - 1]) s[w++] = s[i]!;
  return s.slice(0, w);
}
