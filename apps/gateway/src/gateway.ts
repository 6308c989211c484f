import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { createLogger, effectiveLogLevel, maskConfig, type Logger } from '@nomaly/platform-core';
import type { GatewayConfig } from './config/gateway-config.js';
import { IstioMetrics } from './observability/istio-metrics.js';
import { createStatusServer } from './observability/status-server.js';
import { createRequestHandler } from './proxy/handler.js';
import { UpstreamPools } from './proxy/pools.js';
import { RoutingSource } from './routing/routing-source.js';

export interface RunningGateway {
  readonly logger: Logger;
  readonly routing: RoutingSource;
  /** Stops accepting, lets in-flight requests finish, closes the pools. */
  stop(): Promise<void>;
}

/**
 * Starts the gateway: loads the routing table (throwing IstioConfigError when it cannot),
 * then listens on PORT for traffic and on STATUS_PORT for probes and metrics, and watches the
 * routing files.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger({ service: config.SERVICE_NAME, level: effectiveLogLevel(config) });
  const upstreams = {
    hosts: Object.fromEntries(config.GATEWAY_UPSTREAMS.hosts),
    subsets: Object.fromEntries(config.GATEWAY_UPSTREAMS.subsets),
  };
  logger.info({ config: { ...maskConfig(config), GATEWAY_UPSTREAMS: upstreams } }, 'configuration');
  const pools = new UpstreamPools();
  const routing = new RoutingSource({
    sources: config.ISTIO_CONFIG,
    gatewayName: config.GATEWAY_NAME,
    upstreams: config.GATEWAY_UPSTREAMS,
    pools,
    logger,
  });
  await routing.load();

  let draining = false;
  const metrics = new IstioMetrics();
  const traffic = createServer(
    createRequestHandler({
      table: () => routing.current,
      metrics,
      logger,
      draining: () => draining,
    }),
  );
  // Envoy has no whole-request deadline (route timeouts start once the body is in), and a
  // 100 MB upload on a slow link must not be cut off by Node's default of 5 minutes.
  traffic.requestTimeout = 0;
  // Longer than the clients' idle time, so they close idle connections, not us mid-request.
  traffic.keepAliveTimeout = 75_000;
  traffic.headersTimeout = 80_000;
  const status = createStatusServer({ ready: () => routing.loaded && !draining, metrics });

  await listen(traffic, config.PORT, config.HOST);
  await listen(status, config.STATUS_PORT, config.HOST);
  await routing.watch();
  logger.info(
    {
      http: `http://${config.HOST}:${config.PORT}`,
      status: `http://${config.HOST}:${config.STATUS_PORT}`,
    },
    `${config.SERVICE_NAME} listening`,
  );

  return {
    logger,
    routing,
    async stop() {
      draining = true;
      routing.close();
      // close() stops accepting and drops the idle keep-alive connections; a busy one becomes
      // idle once its response is sent, and is dropped then (requests that arrive on it
      // meanwhile are answered with `Connection: close`).
      const closed = once(traffic, 'close');
      traffic.close();
      const sweeper = setInterval(() => traffic.closeIdleConnections(), 50);
      await closed;
      clearInterval(sweeper);
      status.close();
      await pools.closeAll();
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
}
