import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Istio's default buckets of `istio_request_duration_milliseconds`. */
export const ISTIO_DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
  600_000, 1_800_000, 3_600_000,
];

/** What one finished request reports. */
export interface RequestOutcome {
  /** Short service name, `unknown` when no route or destination was chosen. */
  readonly serviceName: string;
  readonly serviceFqdn: string;
  /** The subset (Istio reports the pod's `version` label; locally the subset stands for it). */
  readonly subset: string | undefined;
  /** 0 when the client went away before any response. */
  readonly status: number;
  /** Envoy's response flags (`-`, `NR`, `UF`, `UH`, `UT`, `UC`, `DC`, `URX`, …). */
  readonly flags: string;
  readonly durationMs: number;
}

const LABELS = [
  'reporter',
  'source_workload',
  'destination_service',
  'destination_service_name',
  'destination_version',
  'request_protocol',
  'response_code',
  'response_flags',
] as const;

/** Envoy's per-cluster counters the gateway keeps (`envoy_cluster_<name>{cluster_name}`). */
export interface ClusterStats {
  readonly retry: { inc(): void };
  readonly retrySuccess: { inc(): void };
  readonly connectFail: { inc(): void };
  readonly timeout: { inc(): void };
  readonly pendingOverflow: { inc(): void };
}

/**
 * The ingress gateway's standard Istio metrics, named and labelled as Istio's so the same
 * PromQL (dashboards, Argo Rollouts analysis) works locally and in the cluster.
 */
export class IstioMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<(typeof LABELS)[number]>;
  private readonly duration: Histogram<(typeof LABELS)[number]>;
  /** Label children by a joined key: prom-client's own lookup hashes an object per call. */
  private readonly children = new Map<string, { inc(): void; observe(value: number): void }>();

  private readonly clusterCounters: Record<keyof ClusterStats, Counter<'cluster_name'>>;
  private readonly clusters = new Map<string, ClusterStats>();

  constructor() {
    const cluster = (name: string, help: string) =>
      new Counter({
        name: `envoy_cluster_${name}`,
        help,
        labelNames: ['cluster_name'],
        registers: [this.registry],
      });
    this.clusterCounters = {
      retry: cluster('upstream_rq_retry', 'Retries sent upstream.'),
      retrySuccess: cluster('upstream_rq_retry_success', 'Retries that got a response.'),
      connectFail: cluster('upstream_cx_connect_fail', 'Connections that could not be made.'),
      timeout: cluster('upstream_rq_timeout', 'Requests that timed out waiting for a response.'),
      pendingOverflow: cluster(
        'upstream_rq_pending_overflow',
        'Requests refused because the connection pool was full (503 UO).',
      ),
    };
    this.requests = new Counter({
      name: 'istio_requests_total',
      help: 'Requests through the gateway, by destination and response.',
      labelNames: LABELS,
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'istio_request_duration_milliseconds',
      help: 'Time from the request to the end of the response, in milliseconds.',
      labelNames: LABELS,
      buckets: ISTIO_DURATION_BUCKETS,
      registers: [this.registry],
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The counters of one Envoy cluster (`outbound|port|subset|host`). */
  cluster(name: string): ClusterStats {
    let stats = this.clusters.get(name);
    if (stats === undefined) {
      const bound = (counter: Counter<'cluster_name'>) => counter.labels({ cluster_name: name });
      const c = this.clusterCounters;
      stats = {
        retry: bound(c.retry),
        retrySuccess: bound(c.retrySuccess),
        connectFail: bound(c.connectFail),
        timeout: bound(c.timeout),
        pendingOverflow: bound(c.pendingOverflow),
      };
      this.clusters.set(name, stats);
    }
    return stats;
  }

  record(outcome: RequestOutcome): void {
    const version = outcome.subset ?? 'unknown';
    const key = `${outcome.serviceFqdn}|${version}|${outcome.status}|${outcome.flags}`;
    let child = this.children.get(key);
    if (child === undefined) {
      const labels = {
        reporter: 'source',
        source_workload: 'istio-ingressgateway',
        destination_service: outcome.serviceFqdn,
        destination_service_name: outcome.serviceName,
        destination_version: version,
        request_protocol: 'http',
        response_code: String(outcome.status),
        response_flags: outcome.flags,
      };
      const counter = this.requests.labels(labels);
      const histogram = this.duration.labels(labels);
      child = { inc: () => counter.inc(), observe: (value) => histogram.observe(value) };
      this.children.set(key, child);
    }
    child.inc();
    child.observe(outcome.durationMs);
  }
}
