import { createServer, type Server } from 'node:http';
import type { IstioMetrics } from './istio-metrics.js';

export interface StatusDependencies {
  /** Ready: the routing table is loaded and shutdown has not begun. */
  readonly ready: () => boolean;
  readonly metrics: IstioMetrics;
}

/**
 * The status port of Istio's ingress gateway (15021): `GET /healthz/ready` for probes and
 * `GET /stats/prometheus` for scraping, kept off the traffic port as Istio does.
 */
export function createStatusServer(deps: StatusDependencies): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    if (path === '/healthz/ready') {
      const ready = deps.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ready ? 'ready\n' : 'not ready\n');
      return;
    }
    if (path === '/stats/prometheus') {
      deps.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics unavailable: ${(error as Error).message}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
}
