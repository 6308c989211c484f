import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DetectionMetrics, SCORE_SAMPLE_PER_CALL } from './detection-metrics.js';

async function series(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`${name} is not registered`);
  return (await metric.get()).values;
}

function value(values: Awaited<ReturnType<typeof series>>, labels: Record<string, string>) {
  const found = values.find((v) =>
    Object.entries(labels).every(([key, expected]) => String(v.labels[key]) === expected),
  );
  return found?.value;
}

describe('DetectionMetrics', () => {
  it('counts rows scored and flagged, so the anomaly rate is their ratio', async () => {
    const registry = new Registry();
    const metrics = new DetectionMetrics(registry, 'eu-west-1');
    metrics.record({
      algorithm: 'iforest',
      scores: Float64Array.from([0.4, 0.45, 0.7, 0.5]),
      threshold: 0.5,
      anomalies: 1,
      seconds: 0.01,
    });
    metrics.record({
      algorithm: 'iforest',
      scores: Float64Array.from([0.6, 0.3]),
      threshold: 0.5,
      anomalies: 1,
      seconds: 0.01,
    });
    expect(
      value(await series(registry, 'nomaly_detection_rows_total'), { model_type: 'iforest' }),
    ).toBe(6);
    expect(
      value(await series(registry, 'nomaly_anomaly_detections_total'), {
        model_type: 'iforest',
        region: 'eu-west-1',
      }),
    ).toBe(2);
  });

  it('buckets score / threshold so 1 is the threshold whatever the score scale', async () => {
    const registry = new Registry();
    const metrics = new DetectionMetrics(registry, 'eu-west-1');
    // LOF-like scale: threshold 1.8; ratios 0.5, 1.0, 2.0, 5.0.
    metrics.record({
      algorithm: 'lof',
      scores: Float64Array.from([0.9, 1.8, 3.6, 9]),
      threshold: 1.8,
      anomalies: 2,
      seconds: 0.01,
    });
    const values = await series(registry, 'nomaly_detection_score_ratio');
    const bucket = (le: string) =>
      value(values, { model_type: 'lof', le }) ??
      (() => {
        throw new Error(`no bucket le=${le}`);
      })();
    expect(bucket('0.5')).toBe(1);
    expect(bucket('1')).toBe(2);
    expect(bucket('2')).toBe(3);
    expect(bucket('4')).toBe(3);
    expect(bucket('+Inf')).toBe(4);
  });

  it('samples large calls evenly and leaves out non-positive thresholds', async () => {
    const registry = new Registry();
    const metrics = new DetectionMetrics(registry, 'eu-west-1');
    const rows = 10_000;
    // Half the rows at ratio 0.5, half at ratio 2, interleaved.
    const scores = Float64Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 1 : 4));
    metrics.record({ algorithm: 'knn', scores, threshold: 2, anomalies: rows / 2, seconds: 0.1 });
    metrics.record({
      algorithm: 'pca',
      scores: Float64Array.from([1, 2]),
      threshold: 0,
      anomalies: 2,
      seconds: 0.1,
    });
    const values = await series(registry, 'nomaly_detection_score_ratio');
    const count = value(values, { model_type: 'knn', le: '+Inf' }) as number;
    expect(count).toBe(SCORE_SAMPLE_PER_CALL);
    const atOrBelowHalf = value(values, { model_type: 'knn', le: '0.5' }) as number;
    expect(atOrBelowHalf / count).toBeGreaterThan(0.4);
    expect(atOrBelowHalf / count).toBeLessThan(0.6);
    expect(value(values, { model_type: 'pca', le: '+Inf' })).toBeUndefined();
    expect(
      value(await series(registry, 'nomaly_detection_rows_total'), { model_type: 'pca' }),
    ).toBe(2);
  });
});
