/**
 * Equal-width histograms of columns or projections, shared by HBOS and LODA: bin edges as numpy
 * places them, bin lookup, finite densities and the Birgé–Rozenholc choice of the bin count.
 */
import { check } from '../core/errors.js';
import { countLess } from '../core/stats.js';
import { decodeArray, encodeArray } from '../model/encoding.js';
import { sortAscending } from './ecdf.js';

/**
 * count / (rows · width): the histogram density of a bin, kept finite. An empty bin has density
 * 0 whatever its width (a zero-width bin would otherwise give 0/0); a bin whose width rounds to
 * 0 or underflows would give Infinity, so densities are capped at the largest double.
 */
export function binDensity(count: number, rows: number, width: number): number {
  return count === 0 ? 0 : Math.min(count / rows / width, Number.MAX_VALUE);
}

/**
 * Equal-width bin edges as `numpy.histogram(values, bins)` places them for values spanning
 * [lo, hi]: e_k = k · ((hi − lo) / B) + lo for k < B, and e_B = hi. A constant column (lo = hi)
 * gets numpy's range [lo − 0.5, hi + 0.5], or ±|lo| · 2^−40 where ±0.5 is lost to rounding
 * (|lo| ≥ 2^52, where numpy would divide by a zero range).
 */
export function histogramEdges(lo: number, hi: number, bins: number): Float64Array {
  if (lo === hi) {
    let a = lo - 0.5;
    let b = hi + 0.5;
    if (a === lo || b === hi) {
      const pad = Math.abs(lo) * 2 ** -40;
      a = Math.max(lo - pad, -Number.MAX_VALUE);
      b = Math.min(hi + pad, Number.MAX_VALUE);
    }
    lo = a;
    hi = b;
  }
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  if (Number.isFinite(step)) {
    for (let k = 0; k < bins; k++) edges[k] = k * step + lo;
  } else {
    // hi − lo overflows (a range wider than Number.MAX_VALUE): interpolating stays finite.
    for (let k = 0; k < bins; k++) edges[k] = lo * (1 - k / bins) + hi * (k / bins);
  }
  edges[bins] = hi;
  return edges;
}

/**
 * The bin k of x among the `bins` bins whose edges are `edges[base .. base + bins]`: the one with
 * e_k ≤ x < e_{k+1}, the last bin closed, for e_0 ≤ x ≤ e_B. `norm` = B / (e_B − e_0) gives the first
 * guess (as numpy does); the guess is then corrected against the edges themselves, so the answer
 * is exact whatever the rounding of the guess.
 */
export function locateBin(
  edges: Float64Array,
  base: number,
  bins: number,
  x: number,
  norm: number,
): number {
  // x ≥ e_0, so truncation is the floor; `| 0` keeps k a small integer for the JIT, and maps the
  // NaN of an overflowed range to 0 (the loops below then find the bin).
  let k = ((x - edges[base]!) * norm) | 0;
  if (k >= bins) k = bins - 1;
  else if (k < 0) k = 0;
  while (k > 0 && x < edges[base + k]!) k--;
  while (k < bins - 1 && x >= edges[base + k + 1]!) k++;
  return k;
}

/**
 * Birgé & Rozenholc's choice of the number of equal-width bins ("How many bins should be put in a
 * regular histogram", ESAIM: Probability and Statistics 10, 2006): the D in [1, maxBins]
 * maximizing the penalized log-likelihood
 *
 *   Σ_k N_k ln(D · N_k / n) − (D − 1 + (ln D)^2.5)
 *
 * of the D-bin histogram (N_k its counts, 0 ln 0 = 0; the smallest D on ties). Counts come from
 * the sorted values by binary search over the edges, O(maxBins² log n) in all. A constant column
 * has nothing to choose from (every D puts all values in one bin) and gets 1 bin.
 *
 * @param sortedValues ascending, finite, not empty.
 */
export function birgeRozenholcBins(sortedValues: Float64Array, maxBins: number): number {
  const n = sortedValues.length;
  const lo = sortedValues[0]!;
  const hi = sortedValues[n - 1]!;
  if (!(hi > lo)) return 1;
  let best = 1;
  let bestValue = -Infinity;
  for (let D = 1; D <= maxBins; D++) {
    const edges = histogramEdges(lo, hi, D);
    let value = 0;
    let below = 0;
    for (let k = 0; k < D; k++) {
      const upTo = k === D - 1 ? n : countLess(sortedValues, edges[k + 1]!);
      const c = upTo - below;
      if (c > 0) value += c * Math.log((D * c) / n);
      below = upTo;
    }
    value -= D - 1 + Math.pow(Math.log(D), 2.5);
    if (value > bestValue) {
      bestValue = value;
      best = D;
    }
  }
  return best;
}

/**
 * A set of equal-width histograms over the same training rows (one per feature for HBOS, one per
 * projection for LODA), flattened: histogram h has `bins[h]` counts from `binStart[h]` and
 * `bins[h] + 1` edges from `edgeStart[h]`.
 */
export class HistogramSet {
  readonly bins: Int32Array;
  readonly binStart: Int32Array;
  readonly edgeStart: Int32Array;
  /** Per histogram: B / (e_B − e_0), the first-guess factor of {@link locateBin}. */
  readonly norm: Float64Array;

  constructor(
    bins: Int32Array,
    readonly edges: Float64Array,
    readonly counts: Uint32Array,
    /** Rows the histograms were built from (the density denominator). */
    readonly rows: number,
  ) {
    const m = bins.length;
    this.bins = bins;
    this.binStart = new Int32Array(m + 1);
    this.edgeStart = new Int32Array(m + 1);
    this.norm = new Float64Array(m);
    for (let h = 0; h < m; h++) {
      this.binStart[h + 1] = this.binStart[h]! + bins[h]!;
      this.edgeStart[h + 1] = this.edgeStart[h]! + bins[h]! + 1;
      const e0 = this.edgeStart[h]!;
      this.norm[h] = bins[h]! / (edges[e0 + bins[h]!]! - edges[e0]!);
    }
  }

  /** Number of histograms. */
  get count(): number {
    return this.bins.length;
  }

  /** The nominal bin width (e_B − e_0) / B of histogram h (Infinity when the range overflows). */
  width(h: number): number {
    const e0 = this.edgeStart[h]!;
    const b = this.bins[h]!;
    return (this.edges[e0 + b]! - this.edges[e0]!) / b;
  }

  /** Sum of the counts of histogram h. */
  total(h: number): number {
    let s = 0;
    for (let k = this.binStart[h]!; k < this.binStart[h + 1]!; k++) s += this.counts[k]!;
    return s;
  }

  toState(): Record<string, unknown> {
    return {
      rows: this.rows,
      bins: encodeArray(this.bins),
      edges: encodeArray(this.edges),
      counts: encodeArray(this.counts),
    };
  }

  /** Reads `toState()`'s output, checking that it describes `count` valid histograms. */
  static fromState(state: Record<string, unknown>, count: number): HistogramSet {
    const rows = state['rows'];
    check(
      typeof rows === 'number' && Number.isInteger(rows) && rows >= 1,
      'rows must be a positive integer',
    );
    const bins = decodeArray(state['bins'], 'int32', 'state.bins', count);
    let totalBins = 0;
    for (const b of bins) {
      check(b >= 1 && b <= 1_000_000, `a histogram has ${b} bins`);
      totalBins += b;
    }
    const edges = decodeArray(state['edges'], 'float64', 'state.edges', totalBins + count);
    const counts = decodeArray(state['counts'], 'uint32', 'state.counts', totalBins);
    let e = 0;
    for (const b of bins) {
      check(Number.isFinite(edges[e]!), 'a histogram edge is not finite');
      for (let k = 1; k <= b; k++) {
        check(Number.isFinite(edges[e + k]!), 'a histogram edge is not finite');
        check(edges[e + k]! >= edges[e + k - 1]!, 'histogram edges must be ascending');
      }
      check(edges[e + b]! > edges[e]!, 'a histogram has an empty range');
      e += b + 1;
    }
    const set = new HistogramSet(bins, edges, counts, rows);
    for (let h = 0; h < count; h++) {
      check(
        set.total(h) <= rows,
        `histogram ${h} counts more values than the ${rows} training rows`,
      );
    }
    return set;
  }
}

/** Collects histograms one value array at a time. */
export class HistogramSetBuilder {
  private readonly bins: number[] = [];
  private readonly edges: number[] = [];
  private readonly counts: number[] = [];

  /**
   * Adds the histogram of `values` over their range with `bins` bins (or Birgé–Rozenholc's
   * choice). Non-finite values (a projection that overflowed) are left out of the range and the
   * counts. When `binOf` is given, it receives each value's bin, or −1 for a left-out value.
   * Returns the new histogram's edges and counts.
   */
  add(
    values: Float64Array,
    bins: number | 'auto',
    binOf?: Int32Array,
  ): { edges: Float64Array; counts: Uint32Array } {
    const n = values.length;
    let lo = Infinity;
    let hi = -Infinity;
    let finite = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      finite++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (finite === 0) {
      lo = 0;
      hi = 0;
    }
    let B: number;
    if (bins === 'auto') {
      const s = new Float64Array(finite);
      let k = 0;
      for (let i = 0; i < n; i++) if (Number.isFinite(values[i]!)) s[k++] = values[i]!;
      sortAscending(s);
      B = finite === 0 ? 1 : birgeRozenholcBins(s, Math.max(1, Math.floor(Math.sqrt(finite))));
    } else {
      B = bins;
    }
    const edges = histogramEdges(lo, hi, B);
    const norm = B / (edges[B]! - edges[0]!);
    const counts = new Uint32Array(B);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        if (binOf !== undefined) binOf[i] = -1;
        continue;
      }
      const b = locateBin(edges, 0, B, v, norm);
      counts[b] = counts[b]! + 1;
      if (binOf !== undefined) binOf[i] = b;
    }
    this.bins.push(B);
    for (const e of edges) this.edges.push(e);
    for (const c of counts) this.counts.push(c);
    return { edges, counts };
  }

  finish(rows: number): HistogramSet {
    return new HistogramSet(
      Int32Array.from(this.bins),
      Float64Array.from(this.edges),
      Uint32Array.from(this.counts),
      rows,
    );
  }
}
