import { Detector, type CommonParams } from '../core/detector.js';
import { check } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ParamSpecs } from '../core/params.js';
import { HistogramSet, HistogramSetBuilder, binDensity, locateBin } from './histogram.js';

export interface HBOSParams {
  /** Equal-width bins per feature, or `'auto'` (Birgé–Rozenholc, per feature). */
  nBins: number | 'auto';
  /** Added to every bin density before the logarithm, so an empty bin never gives −log 0. */
  alpha: number;
  /** Values at most `tol` bin widths outside the training range count in the edge bin. */
  tol: number;
}

export const HBOS_PARAMS = {
  nBins: {
    type: 'integer',
    description:
      "Number of equal-width bins of each feature's histogram. 'auto' picks it per feature by the Birgé–Rozenholc criterion (1 to floor(sqrt(n)) bins).",
    default: 10,
    minimum: 1,
    maximum: 100_000,
    keywords: ['auto'],
  },
  alpha: {
    type: 'number',
    description:
      'Regularizer added to every bin density before the logarithm: empty bins and values far outside the training range score -log2(alpha) at most.',
    default: 0.1,
    exclusiveMinimum: 0,
    maximum: 1,
  },
  tol: {
    type: 'number',
    description:
      'Values less than tol bin widths below the first (above the last) bin edge get the density of that edge bin; farther ones get the lowest density.',
    default: 0.5,
    minimum: 0,
    maximum: 1,
  },
} as const satisfies ParamSpecs;

/**
 * Histogram-based outlier score, HBOS (Goldstein & Dengel, "Histogram-based Outlier Score
 * (HBOS): A fast Unsupervised Anomaly Detection Algorithm", KI 2012), as PyOD computes it.
 *
 * Each feature j gets a static equal-width histogram of its training values (B_j bins over
 * [min, max], the bins of `numpy.histogram`: [e_k, e_{k+1}), the last one closed). Features are
 * taken as independent, so the score of a row is the negative log-likelihood of that product
 * density:
 *
 *   score(x) = Σ_j −log2(hist_j(x_j) + α),   hist_j = count / (n · bin width)
 *
 * (PyOD's base-2 logarithm and regularizer α; higher = more anomalous). A value at most
 * `tol` · bin width outside the training range reads the edge bin; a value farther out reads the
 * lowest density of the feature's histogram (−log2(α) when a bin is empty), never −log 0. A
 * constant feature gets numpy's range [c − 0.5, c + 0.5]: finite, and the same term for every
 * training row.
 *
 * The paper scales each histogram to a maximum height of 1 and also describes dynamic-width
 * bins; PyOD (and this class) use static bins and densities with the regularizer α instead.
 *
 * Differences from PyOD (its current `hbos.py`): PyOD looks values up with `np.digitize(right=True)`, i.e. in
 * (e_{k−1}, e_k], while `np.histogram` counted them in [e_k, e_{k+1}); a value lying exactly on an
 * inner edge therefore reads the neighbouring bin's density there (frequent with integer-valued
 * features). Here the lookup uses the same bins as the counts; otherwise the scores are PyOD's.
 * Bin widths are the nominal (max − min)/B rather than numpy's differences of rounded edges (equal
 * to the last few bits). `nBins: 'auto'` applies Birgé & Rozenholc's criterion ("How many bins
 * should be put in a regular histogram", ESAIM P&S 2006) per feature, as they state it; PyOD's
 * `get_optimal_n_bins` pools all features and subtracts the penalty once per bin.
 *
 * Explanations: the per-feature terms −log2(hist_j(x_j) + α); they sum to the score. They can be
 * negative where a density exceeds 1 − α (narrow features).
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for an invalid `nBins`, `alpha` or `tol`.
 * @example
 * const hbos = new HBOS({ nBins: 20 }).fit(X);
 * const { contributions } = hbos.explain(newRows); // row-major rows × features
 */
export class HBOS extends Detector<HBOSParams> {
  readonly algorithm = 'hbos';
  private histograms: HistogramSet | undefined;
  private compiled: HbosTerms | undefined;

  constructor(params: Partial<HBOSParams & CommonParams> = {}) {
    super('hbos', HBOS_PARAMS, params);
  }

  override get explainable(): boolean {
    return true;
  }

  protected fitModel(X: Matrix): Float64Array {
    const { rows: n, cols: d, data } = X;
    const builder = new HistogramSetBuilder();
    const column = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) column[i] = data[i * d + j]!;
      builder.add(column, this.params.nBins);
    }
    this.histograms = builder.finish(n);
    this.compiled = new HbosTerms(this.histograms, this.params.alpha, this.params.tol);
    return this.compiled.score(X);
  }

  protected scoreModel(X: Matrix): Float64Array {
    return this.terms().score(X);
  }

  protected override explainModel(X: Matrix): Float64Array {
    return this.terms().explain(X);
  }

  protected saveState(): Record<string, unknown> {
    if (this.histograms === undefined) throw new Error('internal error: HBOS has no histograms');
    return this.histograms.toState();
  }

  protected loadState(state: Record<string, unknown>, nFeatures: number): void {
    const histograms = HistogramSet.fromState(state, nFeatures);
    for (let j = 0; j < nFeatures; j++) {
      check(
        histograms.total(j) === histograms.rows,
        `the histogram of feature ${j} counts ${histograms.total(j)} values, not the ${histograms.rows} training rows`,
      );
      const b = histograms.bins[j]!;
      if (this.params.nBins !== 'auto') {
        check(
          b === this.params.nBins,
          `feature ${j} has ${b} bins, but nBins is ${this.params.nBins}`,
        );
      }
    }
    this.histograms = histograms;
    this.compiled = new HbosTerms(histograms, this.params.alpha, this.params.tol);
  }

  private terms(): HbosTerms {
    if (this.compiled === undefined) throw new Error('internal error: HBOS is not compiled');
    return this.compiled;
  }
}

/** HBOS's scoring tables: −log2(density + α) per bin of each feature, and the out-of-range rule. */
class HbosTerms {
  private readonly term: Float64Array;
  /** Per feature: the largest term (the lowest density), for values far outside the range. */
  private readonly far: Float64Array;
  /** Per feature: how far outside [e_0, e_B] a value may lie and still read the edge bin. */
  private readonly slack: Float64Array;

  constructor(
    private readonly h: HistogramSet,
    alpha: number,
    tol: number,
  ) {
    const d = h.count;
    this.term = new Float64Array(h.counts.length);
    this.far = new Float64Array(d);
    this.slack = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const base = h.binStart[j]!;
      const bins = h.bins[j]!;
      const width = h.width(j);
      let far = -Infinity;
      for (let b = 0; b < bins; b++) {
        const t = 0 - Math.log2(binDensity(h.counts[base + b]!, h.rows, width) + alpha);
        this.term[base + b] = t;
        if (t > far) far = t;
      }
      this.far[j] = far;
      this.slack[j] = width * tol;
    }
  }

  score(X: Matrix): Float64Array {
    const { rows: n, cols: d, data } = X;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.featureTerm(j, data[i * d + j]!);
      out[i] = s;
    }
    return out;
  }

  explain(X: Matrix): Float64Array {
    const { data } = X;
    const d = X.cols;
    const out = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) out[k] = this.featureTerm(k % d, data[k]!);
    return out;
  }

  private featureTerm(j: number, x: number): number {
    const h = this.h;
    const e0 = h.edgeStart[j]!;
    const bins = h.bins[j]!;
    const lo = h.edges[e0]!;
    const hi = h.edges[e0 + bins]!;
    const base = h.binStart[j]!;
    if (x < lo) return lo - x <= this.slack[j]! ? this.term[base]! : this.far[j]!;
    if (x > hi) return x - hi <= this.slack[j]! ? this.term[base + bins - 1]! : this.far[j]!;
    return this.term[base + locateBin(h.edges, e0, bins, x, h.norm[j]!)]!;
  }
}
