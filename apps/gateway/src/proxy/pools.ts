import { Pool } from 'undici';
import type { ConnectionPool } from '../istio/resources.js';
import { parseDuration } from '../istio/duration.js';

/** A DestinationRule's connection pool settings as the local gateway applies them. */
export interface PoolPolicy {
  /** `tcp.maxConnections`; Envoy's default is effectively unlimited. */
  readonly maxConnections: number | undefined;
  /** `http.http1MaxPendingRequests`: requests waiting for a connection before 503 (overflow). */
  readonly maxPending: number | undefined;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** `http.maxRequestsPerConnection`; 0 is unlimited. */
  readonly maxRequestsPerConnection: number;
}

/** Istio's defaults: 10 s connect timeout, 1 h idle timeout, no limits. */
export function poolPolicy(settings: ConnectionPool | undefined): PoolPolicy {
  return {
    maxConnections: settings?.tcp?.maxConnections,
    maxPending: settings?.http?.http1MaxPendingRequests,
    connectTimeoutMs: parseDuration(settings?.tcp?.connectTimeout ?? '10s') ?? 10_000,
    idleTimeoutMs: parseDuration(settings?.http?.idleTimeout ?? '1h') ?? 3_600_000,
    maxRequestsPerConnection: settings?.http?.maxRequestsPerConnection ?? 0,
  };
}

/** A keep-alive pool to one local upstream with the policy of its DestinationRule. */
export class Upstream {
  readonly pool: Pool;
  /** Requests dispatched and not finished: beyond connections + pending, Envoy overflows. */
  inFlight = 0;
  private readonly limit: number;

  constructor(
    readonly origin: string,
    readonly policy: PoolPolicy,
  ) {
    this.pool = new Pool(origin, {
      connections: policy.maxConnections ?? null,
      connectTimeout: policy.connectTimeoutMs,
      // The upstream's own keep-alive hint still wins when shorter (undici reads it).
      keepAliveTimeout: policy.idleTimeoutMs,
      keepAliveMaxTimeout: policy.idleTimeoutMs,
      ...(policy.maxRequestsPerConnection > 0
        ? { maxRequestsPerClient: policy.maxRequestsPerConnection }
        : {}),
      pipelining: 1,
    });
    this.limit =
      policy.maxConnections === undefined || policy.maxPending === undefined
        ? Number.POSITIVE_INFINITY
        : policy.maxConnections + policy.maxPending;
  }

  /** Whether one more request would exceed the connection pool's limits. */
  get overflowing(): boolean {
    return this.inFlight >= this.limit;
  }
}

/**
 * The pools of all routing tables, shared across reloads so keep-alive connections survive an
 * edit of the YAML. A pool no table uses any more is closed gently (in-flight requests finish).
 */
export class UpstreamPools {
  private readonly upstreams = new Map<string, Upstream>();

  acquire(origin: string, policy: PoolPolicy): Upstream {
    const key = `${origin} ${JSON.stringify(policy)}`;
    let upstream = this.upstreams.get(key);
    if (upstream === undefined) {
      upstream = new Upstream(origin, policy);
      this.upstreams.set(key, upstream);
    }
    return upstream;
  }

  /** Closes the pools not in `inUse`. */
  async retain(inUse: ReadonlySet<Upstream>): Promise<void> {
    const closing: Array<Promise<void>> = [];
    for (const [key, upstream] of this.upstreams) {
      if (inUse.has(upstream)) continue;
      this.upstreams.delete(key);
      closing.push(upstream.pool.close());
    }
    await Promise.all(closing);
  }

  async closeAll(): Promise<void> {
    await this.retain(new Set());
  }
}
