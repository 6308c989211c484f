/**
 * Maps feature values to ranks among a fixed set of split thresholds, so that tree traversal
 * compares small integers instead of doubles.
 *
 * For each feature f with ascending unique thresholds s_f, `rank(x) = #{s ∈ s_f : s < x}`. A split
 * "go right when x > t" with t = s_f[p] is then exactly "go right when rank(x) > p", and that
 * integer test compiles to branch-free arithmetic — the random left/right outcomes of isolation
 * trees otherwise defeat the CPU's branch predictor on every level.
 *
 * Ranks are found through an equal-width grid over each feature's threshold range (about two
 * cells per threshold), then corrected by a short scan, so quantizing a value costs O(1) on
 * average instead of a binary search.
 */
export class ThresholdQuantizer {
  /** Concatenated ascending unique thresholds of every feature. */
  private readonly values: Float64Array;
  /** values[valueStart[f] … valueStart[f + 1]) are feature f's thresholds. */
  private readonly valueStart: Int32Array;
  /** Grid cell → rank of the first threshold ≥ the cell's lower edge, per feature. */
  private readonly grid: Int32Array;
  private readonly gridStart: Int32Array;
  private readonly lo: Float64Array;
  private readonly invWidth: Float64Array;

  /** @param thresholds per feature, the thresholds used by splits on it (any order, repeats allowed). */
  constructor(thresholds: readonly Float64Array[]) {
    const d = thresholds.length;
    const uniq = thresholds.map(uniqueSorted);
    this.valueStart = new Int32Array(d + 1);
    for (let f = 0; f < d; f++) this.valueStart[f + 1] = this.valueStart[f]! + uniq[f]!.length;
    this.values = new Float64Array(this.valueStart[d]!);
    this.gridStart = new Int32Array(d + 1);
    this.lo = new Float64Array(d);
    this.invWidth = new Float64Array(d);
    const cells = uniq.map((u) => (u.length > 1 ? 2 * u.length : 1));
    for (let f = 0; f < d; f++) this.gridStart[f + 1] = this.gridStart[f]! + cells[f]!;
    this.grid = new Int32Array(this.gridStart[d]!);
    for (let f = 0; f < d; f++) {
      const u = uniq[f]!;
      this.values.set(u, this.valueStart[f]);
      if (u.length < 2) continue;
      const lo = u[0]!;
      const width = (u[u.length - 1]! - lo) / cells[f]!;
      this.lo[f] = lo;
      this.invWidth[f] = 1 / width;
      let r = 0;
      for (let c = 0; c < cells[f]!; c++) {
        const edge = lo + c * width;
        while (r < u.length && u[r]! < edge) r++;
        this.grid[this.gridStart[f]! + c] = r;
      }
    }
  }

  /** Number of distinct thresholds of feature f (ranks run from 0 to this value). */
  count(f: number): number {
    return this.valueStart[f + 1]! - this.valueStart[f]!;
  }

  /** rank(x) for feature f: how many of its thresholds are strictly below x. */
  rank(f: number, x: number): number {
    const base = this.valueStart[f]!;
    const m = this.valueStart[f + 1]! - base;
    const v = this.values;
    if (m === 0) return 0;
    let r: number;
    if (m === 1) {
      r = 0;
    } else {
      const g0 = this.gridStart[f]!;
      const cells = this.gridStart[f + 1]! - g0;
      let c = Math.floor((x - this.lo[f]!) * this.invWidth[f]!);
      c = c < 0 ? 0 : c >= cells ? cells - 1 : c;
      r = this.grid[g0 + c]!;
      const hi = c + 1 < cells ? this.grid[g0 + c + 1]! : m;
      if (hi - r > 8) {
        // A crowded cell: binary search within it.
        r = lowerBound(v, base + r, base + hi, x) - base;
      }
    }
    // Exact correction whatever rounding did to the cell index.
    while (r < m && v[base + r]! < x) r++;
    while (r > 0 && v[base + r - 1]! >= x) r--;
    return r;
  }

  /**
   * Ranks of a row-major block `src` (rows × d) into `dst`, grouped by `lanes` rows:
   * dst[g·lanes·d + f·lanes + k] = rank of feature f in row g·lanes + k. The last group is
   * padded with rank 0. Same result as `rank`, feature by feature so that each feature's grid
   * stays in registers and cache.
   */
  quantizeLanes(src: Float64Array, rows: number, d: number, lanes: number, dst: Int32Array): void {
    const groups = Math.ceil(rows / lanes);
    dst.fill(0, 0, groups * lanes * d);
    const v = this.values;
    const grid = this.grid;
    for (let f = 0; f < d; f++) {
      const base = this.valueStart[f]!;
      const m = this.valueStart[f + 1]! - base;
      if (m === 0) continue;
      const g0 = this.gridStart[f]!;
      const cells = this.gridStart[f + 1]! - g0;
      const lo = this.lo[f]!;
      const inv = this.invWidth[f]!;
      for (let i = 0; i < rows; i++) {
        const x = src[i * d + f]!;
        let r = 0;
        if (m > 1) {
          let c = Math.floor((x - lo) * inv);
          c = c < 0 ? 0 : c >= cells ? cells - 1 : c;
          r = grid[g0 + c]!;
          const hi = c + 1 < cells ? grid[g0 + c + 1]! : m;
          if (hi - r > 8) r = lowerBound(v, base + r, base + hi, x) - base;
        }
        while (r < m && v[base + r]! < x) r++;
        while (r > 0 && v[base + r - 1]! >= x) r--;
        const k = i % lanes;
        dst[(i - k) * d + k + f * lanes] = r;
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
