import { describe, expect, it } from 'vitest';
import {
  durationSeconds,
  interpolate,
  mergeCompose,
  validateComposeSchema,
} from './compose-rules.js';
import { metricStatus, promqlMetricNames, type ExportedMetrics } from './monitoring-rules.js';
import { unpinnedImageReason } from './problems.js';

describe(unpinnedImageReason.name, () => {
  it('accepts versions and digests, refuses latest, untagged and floating tags', () => {
    expect(unpinnedImageReason('node:22.23.3-bookworm-slim')).toBeUndefined();
    expect(unpinnedImageReason('prom/prometheus:v2.55.1')).toBeUndefined();
    expect(unpinnedImageReason(`postgres@sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(unpinnedImageReason('registry.local:5000/nomaly/gateway:0.1.0')).toBeUndefined();
    expect(unpinnedImageReason('registry.local:5000/nomaly/gateway')).toMatch(/has no tag/);
    expect(unpinnedImageReason('redis:latest')).toMatch(/latest tag/);
    expect(unpinnedImageReason('redis:7-alpine')).toMatch(/floating tag "7-alpine"/);
  });
});

describe(interpolate.name, () => {
  it('follows Compose: defaults, alternatives, escapes, and required variables listed', () => {
    const { value, required } = interpolate(
      {
        tag: 'gateway:${TAG:-0.1.0}',
        set: '${HOME_DIR}/x $$literal',
        alt: '${HOME_DIR:+yes}${NOPE:+no}',
        url: 'postgres://u:${PASSWORD:?set PASSWORD}@db/nomaly',
        list: ['$HOME_DIR', 1, true],
      },
      { HOME_DIR: '/home/n' },
    );
    expect(value).toEqual({
      tag: 'gateway:0.1.0',
      set: '/home/n/x $literal',
      alt: 'yes',
      url: 'postgres://u:example-password@db/nomaly',
      list: ['/home/n', 1, true],
    });
    expect([...required]).toEqual(['PASSWORD']);
  });

  it('names the string with an unclosed variable', () => {
    expect(() => interpolate({ a: 'x ${OPEN' }, {})).toThrow(/unclosed "\$\{" in "x \$\{OPEN"/);
  });
});

describe(mergeCompose.name, () => {
  it('merges maps and environments, appends lists, replaces commands', () => {
    const base = {
      services: {
        api: {
          command: ['node', 'a.js'],
          environment: ['A=1', 'B=2'],
          cap_drop: ['ALL'],
          volumes: ['./x:/x:ro'],
        },
      },
    };
    const override = {
      services: {
        api: { command: ['node', 'b.js'], environment: { B: '3' }, volumes: ['data:/data'] },
      },
    };
    expect(mergeCompose(base, override)).toEqual({
      services: {
        api: {
          command: ['node', 'b.js'],
          environment: { A: '1', B: '3' },
          cap_drop: ['ALL'],
          volumes: ['./x:/x:ro', 'data:/data'],
        },
      },
    });
  });
});

describe(validateComposeSchema.name, () => {
  it('accepts a minimal file and names unknown keys and wrong formats', () => {
    expect(
      validateComposeSchema({ services: { a: { image: 'x:1.0', ports: ['8080:80'] } } }, 'f'),
    ).toEqual([]);
    expect(
      validateComposeSchema(
        {
          services: { a: { image: 'x:1.0', restrat: 'always', stop_grace_period: 'ten seconds' } },
        },
        'f',
      ).map((p) => p.message),
    ).toEqual(
      expect.arrayContaining([
        'schema: services/a: unknown key "restrat"',
        'schema: services/a/stop_grace_period: is not a valid duration',
      ]),
    );
  });
});

describe(durationSeconds.name, () => {
  it('reads Compose durations', () => {
    expect(durationSeconds('1m30s')).toBe(90);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('soon')).toBeUndefined();
  });
});

describe(promqlMetricNames.name, () => {
  it('finds metrics, not functions, labels, keywords, durations or Grafana variables', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      promqlMetricNames(
        'max by (service) (nomaly_database_connections_active) / on (service) group_left max by (service) (nomaly_database_connections_max) > bool 0.9 offset 5m',
      ),
    ).toEqual(['nomaly_database_connections_active', 'nomaly_database_connections_max']);
    expect(promqlMetricNames('up{job=~"a|b"} == 0 and absent(foo_total)')).toEqual([
      'up',
      'foo_total',
    ]);
  });
});

describe(metricStatus.name, () => {
  const exported: ExportedMetrics = {
    metrics: new Map([
      ['http_request_duration_seconds', { type: 'histogram', file: 'a.ts' }],
      ['nomaly_anomaly_detections_total', { type: 'counter', file: 'b.ts' }],
    ]),
    defaultMetrics: true,
  };

  it('knows histogram series, Prometheus series and default metrics', () => {
    expect(metricStatus('http_request_duration_seconds_bucket', exported)).toBe('exported');
    expect(metricStatus('nomaly_anomaly_detections_total', exported)).toBe('exported');
    expect(metricStatus('nomaly_anomaly_detections_total_bucket', exported)).toBe('unknown');
    expect(metricStatus('up', exported)).toBe('exported');
    expect(metricStatus('process_cpu_seconds_total', exported)).toBe('exported');
    expect(metricStatus('nomaly_made_up_total', exported)).toBe('unknown');
  });
});
