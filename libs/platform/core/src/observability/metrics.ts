import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets for request/response APIs: 5 ms to 10 s, dense where SLOs usually sit. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The value `nomaly_circuit_breaker_state` takes for each breaker state. */
export const BREAKER_STATE_VALUE = { closed: 0, open: 1, 'half-open': 2 } as const;

/** Reads the database pool at scrape time; see {@link PlatformMetrics.collectDatabasePool}. */
export type DatabasePoolReader = () => { active: number; max: number };

/**
 * The Prometheus metrics every service exports, with the names fixed in ARCHITECTURE.md. Each
 * instance owns its registry instead of prom-client's global one, so two services (or two tests)
 * in one process never collide on a metric name, and every series carries the `service` label.
 */
export class PlatformMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly breakerState: Gauge<'service' | 'operation'>;
  readonly dbConnectionsActive: Gauge;
  readonly dbConnectionsMax: Gauge;
  private poolReader: DatabasePoolReader | undefined;

  constructor(service: string) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [...HTTP_DURATION_BUCKETS],
      registers,
    });
    this.breakerState = new Gauge({
      name: 'nomaly_circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open.',
      labelNames: ['service', 'operation'],
      registers,
    });
    // The pool is read when Prometheus scrapes rather than on every checkout, so the gauges cost
    // nothing between scrapes and are never stale when read.
    const readPool = (): { active: number; max: number } | undefined => {
      try {
        return this.poolReader?.();
      } catch {
        return undefined; // a failing reader must not fail the whole scrape
      }
    };
    this.dbConnectionsActive = new Gauge({
      name: 'nomaly_database_connections_active',
      help: 'Database connections checked out of the pool.',
      registers,
      collect() {
        const pool = readPool();
        if (pool !== undefined) this.set(pool.active);
      },
    });
    this.dbConnectionsMax = new Gauge({
      name: 'nomaly_database_connections_max',
      help: 'Maximum size of the database connection pool.',
      registers,
      collect() {
        const pool = readPool();
        if (pool !== undefined) this.set(pool.max);
      },
    });
  }

  /**
   * Counts one answered request and its duration. `route` must be the route template
   * (`/api/v1/detectors/:id`), never the raw path: ids in labels make the series unbounded.
   */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: method.toUpperCase(), route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** Registers the pool to read at each scrape; a later call replaces the earlier reader. */
  collectDatabasePool(read: DatabasePoolReader): void {
    this.poolReader = read;
  }

  /** The Prometheus text exposition of every metric in the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` to answer `/metrics` with. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
