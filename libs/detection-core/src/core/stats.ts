/**
 * Small descriptive statistics on typed arrays. Quantiles follow numpy's default ("linear",
 * Hyndman & Fan type 7) so that figures agree with the Python tools users compare against.
 */

/** Arithmetic mean; NaN for an empty array. */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** Population (ddof = 0) standard deviation, computed in two passes for accuracy. */
export function std(a: ArrayLike<number>, m = mean(a)): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - m;
    s += d * d;
  }
  return Math.sqrt(s / a.length);
}

/** A sorted copy (numeric order; typed-array sort never compares as strings). */
export function sorted(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a).sort();
}

/** The q-quantile (0 ≤ q ≤ 1) of an ascending array, linearly interpolated (type 7). */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** The q-quantile of an unsorted array. */
export function quantile(a: ArrayLike<number>, q: number): number {
  return quantileSorted(sorted(a), q);
}

/** The median. */
export function median(a: ArrayLike<number>): number {
  return quantile(a, 0.5);
}

/** Sample skewness g1 = m3 / m2^1.5 (biased, as `scipy.stats.skew` by default); 0 when constant. */
export function skewness(a: ArrayLike<number>): number {
  const m = mean(a);
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= a.length;
  m3 /= a.length;
  return m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
}

/** Number of entries of the ascending array `s` that are ≤ x (binary search). */
export function countLessOrEqual(s: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of the ascending array `s` that are < x (binary search). */
export function countLess(s: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Average (fractional) ranks, 1-based, ties sharing the mean of their positions — the ranking used
 * by the Mann–Whitney form of ROC-AUC and by Spearman's correlation.
 */
export function averageRanks(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  const order = argsort(a);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    const v = a[order[i]!]!;
    while (j < n && a[order[j]!]! === v) j++;
    const r = (i + j + 1) / 2;
    for (let k = i; k < j; k++) ranks[order[k]!] = r;
    i = j;
  }
  return ranks;
}

/** Indices that sort `a` ascending (stable for equal values). */
export function argsort(a: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(a.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((x, y) => a[x]! - a[y]! || x - y);
}

/** Summary of a score distribution, stored with every fitted model. */
export interface ScoreSummary {
  count: number;
  mean: number;
  std: number;
  min: number;
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
}

/** Count, mean, std and quantiles of a score array. */
export function summarize(scores: ArrayLike<number>): ScoreSummary {
  return summarizeSorted(sorted(scores));
}

/** {@link summarize} of an ascending array. */
export function summarizeSorted(s: Float64Array): ScoreSummary {
  const m = mean(s);
  return {
    count: s.length,
    mean: m,
    std: std(s, m),
    min: s[0]!,
    p01: quantileSorted(s, 0.01),
    p05: quantileSorted(s, 0.05),
    p25: quantileSorted(s, 0.25),
    p50: quantileSorted(s, 0.5),
    p75: quantileSorted(s, 0.75),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    max: s[s.length - 1]!,
  };
}
