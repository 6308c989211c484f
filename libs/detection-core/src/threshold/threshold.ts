import { check } from '../core/errors.js';
import { countLess, median, quantileSorted, sorted } from '../core/stats.js';

/**
 * Data-driven rules that set a threshold on the training scores when the share of anomalies is
 * unknown (`contamination: 'auto'`). Each looks only at the score distribution:
 *
 * - `iqr`: Tukey's upper fence, Q3 + 1.5 (Q3 − Q1) (Tukey, "Exploratory Data Analysis", 1977).
 * - `mad`: median + 3 · 1.4826 · MAD, the robust z-score rule of Hampel (1974) / Iglewicz &
 *   Hoaglin (1993); 1.4826 makes the MAD a consistent estimate of σ under normality.
 * - `otsu`: Otsu's threshold (IEEE Trans. SMC 1979) on a 256-bin histogram of the scores: the cut
 *   that maximizes the between-class variance of the two groups it makes.
 */
export type ThresholdRule = 'iqr' | 'mad' | 'otsu';

export const THRESHOLD_RULES: readonly ThresholdRule[] = ['iqr', 'mad', 'otsu'];

/** A share of anomalies in (0, 0.5], or `'auto'` to let a {@link ThresholdRule} decide. */
export type Contamination = number | 'auto';

/**
 * The score threshold learned from training scores. A row is an anomaly when its score is
 * strictly greater than the threshold, so the threshold itself is normal (as in PyOD).
 *
 * With a numeric contamination c, the threshold is the (1 − c)-quantile of the training scores
 * (linear interpolation, as `numpy.percentile`), which flags a share c of the training rows.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for a contamination outside (0, 0.5].
 */
export function fitThreshold(
  trainingScores: ArrayLike<number>,
  contamination: Contamination,
  rule: ThresholdRule,
): number {
  return fitThresholdSorted(sorted(trainingScores), contamination, rule);
}

/** {@link fitThreshold} on training scores already in ascending order. */
export function fitThresholdSorted(
  s: Float64Array,
  contamination: Contamination,
  rule: ThresholdRule,
): number {
  check(s.length > 0, 'cannot fit a threshold on zero training scores');
  if (contamination !== 'auto') {
    check(
      contamination > 0 && contamination <= 0.5,
      `contamination must be in (0, 0.5] or 'auto', got ${contamination}`,
    );
    return quantileSorted(s, 1 - contamination);
  }
  switch (rule) {
    case 'iqr': {
      const q1 = quantileSorted(s, 0.25);
      const q3 = quantileSorted(s, 0.75);
      return q3 + 1.5 * (q3 - q1);
    }
    case 'mad': {
      const med = quantileSorted(s, 0.5);
      const dev = new Float64Array(s.length);
      for (let i = 0; i < s.length; i++) dev[i] = Math.abs(s[i]! - med);
      return med + 3 * 1.4826 * median(dev);
    }
    case 'otsu':
      return otsu(s);
  }
}

/** Otsu's threshold on an ascending array; the upper edge of the last normal bin. */
function otsu(s: Float64Array): number {
  const lo = s[0]!;
  const hi = s[s.length - 1]!;
  if (!(hi > lo)) return hi;
  const bins = 256;
  const width = (hi - lo) / bins;
  const hist = new Float64Array(bins);
  for (let i = 0; i < s.length; i++) hist[Math.min(bins - 1, Math.floor((s[i]! - lo) / width))]!++;
  let total = 0;
  for (let b = 0; b < bins; b++) total += b * hist[b]!;
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b]!;
    sum0 += b * hist[b]!;
    const w1 = s.length - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (total - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return lo + (bestBin + 1) * width;
}

/**
 * How {@link Detector.predictProba} turns scores into [0, 1]:
 *
 * - `unify`: Gaussian scaling of Kriegel, Kröger, Schubert & Zimek, "Interpreting and Unifying
 *   Outlier Scores" (SDM 2011): p = max(0, erf((s − μ) / (σ √2))) with μ, σ of the training
 *   scores — a score at or below the training mean is 0, far above it tends to 1;
 * - `linear`: (s − min) / (max − min) over the training scores, clipped to [0, 1] (PyOD's default);
 * - `rank`: the share of training scores strictly below s (1 minus a conformal p-value), read
 *   off the 1001 training-score percentiles kept in the model, so to within 0.001.
 */
export type ProbabilityMethod = 'unify' | 'linear' | 'rank';

export const PROBABILITY_METHODS: readonly ProbabilityMethod[] = ['unify', 'linear', 'rank'];

/** What {@link toProbability} needs of the training scores. */
export interface ScoreCalibration {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Training scores, ascending (only for `rank`). */
  sortedScores?: Float64Array;
}

/** Maps raw scores to [0, 1] by `method`, using statistics of the training scores. */
export function toProbability(
  scores: ArrayLike<number>,
  method: ProbabilityMethod,
  cal: ScoreCalibration,
): Float64Array {
  const out = new Float64Array(scores.length);
  switch (method) {
    case 'unify': {
      const denom = cal.std > 0 ? cal.std * Math.SQRT2 : 0;
      for (let i = 0; i < out.length; i++) {
        const z = scores[i]! - cal.mean;
        out[i] = denom > 0 ? Math.max(0, erf(z / denom)) : z > 0 ? 1 : 0;
      }
      return out;
    }
    case 'linear': {
      const range = cal.max - cal.min;
      for (let i = 0; i < out.length; i++) {
        const p = range > 0 ? (scores[i]! - cal.min) / range : scores[i]! > cal.max ? 1 : 0;
        out[i] = Math.min(1, Math.max(0, p));
      }
      return out;
    }
    case 'rank': {
      const ref = cal.sortedScores;
      check(ref !== undefined && ref.length > 0, "probability method 'rank' needs training scores");
      for (let i = 0; i < out.length; i++) out[i] = countLess(ref, scores[i]!) / ref.length;
      return out;
    }
  }
}

/**
 * The error function, to about 1e-13 relative accuracy: its Maclaurin series near 0 (where
 * 1 − erfc(x) would cancel), else the complementary-error-function Chebyshev fit of Numerical
 * Recipes (3rd ed., §6.2.2, `erfccheb`).
 */
export function erf(x: number): number {
  if (Math.abs(x) < 0.5) {
    // erf x = 2/√π Σ (−1)^k x^(2k+1) / (k! (2k+1)); 12 terms reach 1e-17 for |x| < 0.5.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let k = 1; k < 12; k++) {
      term *= -x2 / k;
      sum += term / (2 * k + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x >= 0) return 1 - erfcPositive(x);
  return erfcPositive(-x) - 1;
}

const ERFC_COEF = [
  -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
  -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5,
  -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12,
  8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16,
  -2.8e-17,
];

function erfcPositive(z: number): number {
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COEF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COEF[j]!;
    dd = tmp;
  }
  return t * Math.exp(-z * z + 0.5 * (ERFC_COEF[0]! + ty * d) - dd);
}
