import { Counter, Histogram, type Registry } from 'prom-client';

const SIZE_BUCKETS: ReadonlyArray<[number, string]> = [
  [1, '1'],
  [10, '10'],
  [100, '100'],
  [1_000, '1k'],
  [10_000, '10k'],
];

function sizeBucket(rows: number): string {
  return SIZE_BUCKETS.find(([limit]) => rows <= limit)?.[1] ?? 'more';
}

/**
 * At most this many scores of one detect call go into the score-ratio histogram, one per stride:
 * a 10,000-row batch then costs ~0.3 ms of observing instead of ~3.5 ms, and the distribution
 * it estimates is the same.
 */
export const SCORE_SAMPLE_PER_CALL = 1_000;

const GOLDEN = 0.6180339887498949;

/** Score / threshold: 1 is on the threshold, above 1 is flagged. */
export const SCORE_RATIO_BUCKETS = [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 4];

/** One detect call as the metrics see it. */
export interface DetectionObservation {
  readonly algorithm: string;
  readonly scores: Float64Array;
  readonly threshold: number;
  readonly anomalies: number;
  readonly seconds: number;
}

/**
 * The detector's own Prometheus series. Besides the ARCHITECTURE ones (detections, duration),
 * the rows scored and the distribution of score / threshold let a rollout compare a canary's
 * behaviour with stable's: its anomaly rate (flagged / scored) and where its scores sit relative
 * to its own threshold, whatever the algorithm's score scale (the detector-service chart's
 * anomaly-behaviour AnalysisTemplate and the HighAnomalyRate alert read them).
 */
export class DetectionMetrics {
  private readonly detections: Counter<'model_type' | 'dataset_type' | 'region'>;
  private readonly rows: Counter<'model_type'>;
  private readonly duration: Histogram<'model_type' | 'dataset_size_bucket'>;
  private readonly scoreRatio: Histogram<'model_type'>;

  constructor(
    registry: Registry,
    /** The deployment's region (`REGION`), a label of the detection counter. */
    private readonly region: string,
  ) {
    this.detections = new Counter({
      name: 'nomaly_anomaly_detections_total',
      help: 'Rows flagged as anomalies by detect calls.',
      labelNames: ['model_type', 'dataset_type', 'region'],
      registers: [registry],
    });
    this.rows = new Counter({
      name: 'nomaly_detection_rows_total',
      help: 'Rows scored by detect calls (the denominator of the anomaly rate).',
      labelNames: ['model_type'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'nomaly_detection_duration_seconds',
      help: 'Time to score a detect batch (model resolution included).',
      labelNames: ['model_type', 'dataset_size_bucket'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.scoreRatio = new Histogram({
      name: 'nomaly_detection_score_ratio',
      help:
        'Score divided by the model threshold (1 = on the threshold), for up to ' +
        `${SCORE_SAMPLE_PER_CALL} evenly spaced rows of each detect call; models whose ` +
        'threshold is not positive are left out.',
      labelNames: ['model_type'],
      buckets: SCORE_RATIO_BUCKETS,
      registers: [registry],
    });
  }

  record(observation: DetectionObservation): void {
    const { algorithm, scores, threshold, anomalies } = observation;
    this.detections.inc(
      { model_type: algorithm, dataset_type: 'tabular', region: this.region },
      anomalies,
    );
    this.rows.inc({ model_type: algorithm }, scores.length);
    this.duration.observe(
      { model_type: algorithm, dataset_size_bucket: sizeBucket(scores.length) },
      observation.seconds,
    );
    // A ratio to a zero or negative threshold has no meaning (it flips or explodes).
    if (!(threshold > 0) || scores.length === 0) return;
    const ratios = this.scoreRatio.labels({ model_type: algorithm });
    const samples = Math.min(scores.length, SCORE_SAMPLE_PER_CALL);
    const step = scores.length / samples;
    for (let k = 0; k < samples; k++) {
      // One row from each stride, at a position that moves by the golden ratio: a fixed offset
      // would alias with periodic input (every other row, every tenth row…).
      const score = scores[Math.floor((k + ((k * GOLDEN) % 1)) * step)] as number;
      if (Number.isFinite(score)) ratios.observe(score / threshold);
    }
  }
}
