import { check } from '../core/errors.js';
import { averageRanks } from '../core/stats.js';

function checkLabels(labels: ArrayLike<number>, scores: ArrayLike<number>, fn: string): void {
  check(
    labels.length === scores.length,
    `Arguments passed to '${fn}' differ in length: ${labels.length} labels, ${scores.length} scores`,
  );
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    check(
      y === 0 || y === 1,
      `Argument 'labels' passed to '${fn}' must hold 0 or 1, got ${y} at ${i}`,
    );
    check(
      Number.isFinite(scores[i]!),
      `Argument 'scores' passed to '${fn}' has ${scores[i]} at ${i}`,
    );
  }
}

/**
 * Area under the ROC curve, via the Mann–Whitney U statistic with average ranks, so tied scores
 * count one half (Hanley & McNeil, Radiology 1982). Equals `sklearn.metrics.roc_auc_score`.
 *
 * @param labels 1 = anomaly, 0 = normal.
 * @param scores higher = more anomalous.
 * @throws {DetectionError} `INVALID_ARGUMENT` when lengths differ, a label is not 0/1, a score is
 *   not finite, or only one class is present.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLabels(labels, scores, 'rocAuc');
  const ranks = averageRanks(scores);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      pos++;
      rankSum += ranks[i]!;
    }
  }
  const neg = labels.length - pos;
  check(pos > 0 && neg > 0, "ROC-AUC needs both classes in 'labels'");
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision: AP = Σ_k (R_k − R_{k−1}) P_k over the distinct score thresholds in
 * decreasing order (tied scores enter together), the step-wise definition of
 * `sklearn.metrics.average_precision_score` — not the interpolated area.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLabels(labels, scores, 'averagePrecision');
  const n = labels.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]!,
  );
  let totalPos = 0;
  for (let i = 0; i < n; i++) totalPos += labels[i]!;
  check(totalPos > 0, "average precision needs at least one anomaly in 'labels'");
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let prevRecall = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!] === s) {
      tp += labels[order[i]!]!;
      seen++;
      i++;
    }
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/**
 * Precision among the n highest scores (ties at the cut broken by input order), with n = the
 * number of anomalies by default ("R-precision", as PyOD's `precision_n_scores`).
 */
export function precisionAtN(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  n?: number,
): number {
  checkLabels(labels, scores, 'precisionAtN');
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) totalPos += labels[i]!;
  const k = n ?? totalPos;
  check(
    Number.isInteger(k) && k >= 1 && k <= labels.length,
    `precisionAtN needs 1 <= n <= ${labels.length}, got ${k}`,
  );
  const order = Uint32Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]! || a - b,
  );
  let hits = 0;
  for (let i = 0; i < k; i++) hits += labels[order[i]!]!;
  return hits / k;
}

/** Spearman's rank correlation (Pearson correlation of average ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a.length === b.length && a.length > 1, 'spearman needs two arrays of equal length > 1');
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const n = a.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
