import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { startService, type RunningService } from '@nomaly/testing';

/** What an upstream saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A real HTTP server on loopback standing in for a service: by default it answers every
 * request with JSON naming itself, the request and the body's size.
 */
export interface TestUpstream {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly seen: Seen[];
  readonly server: Server;
  close(): Promise<void>;
}

export type UpstreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  upstream: TestUpstream,
) => void;

export const echo: UpstreamHandler = (req, res, upstream) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('connection', 'keep-alive, x-private');
    res.setHeader('x-private', 'hop-by-hop');
    res.end(JSON.stringify({ upstream: upstream.name, url: req.url, bytes, headers: req.headers }));
  });
};

export async function startUpstream(
  name: string,
  handler: UpstreamHandler = echo,
  port = 0,
): Promise<TestUpstream> {
  const seen: Seen[] = [];
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  const upstream: TestUpstream = {
    name,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    seen,
    server,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, upstream);
  });
  return upstream;
}

/** The built gateway as a real process, ready once its status port says so. */
export function startGatewayProcess(env: Record<string, string>): Promise<RunningService> {
  return startService('gateway', env, {
    portVariables: ['PORT', 'STATUS_PORT'],
    readyUrl: (e) => `http://127.0.0.1:${e.STATUS_PORT}/healthz/ready`,
  });
}

/** The gateway's Prometheus text. */
export async function gatewayStats(gateway: RunningService): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${gateway.env.STATUS_PORT}/stats/prometheus`);
  return response.text();
}

/** The value of one sample of the Prometheus text (0 when absent). */
export function sample(stats: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of stats.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Body JSON of an echo upstream's answer. */
export interface Echoed {
  readonly upstream: string;
  readonly url: string;
  readonly bytes: number;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A request through node:http, which sends what fetch refuses to (a `Connection` header naming
 * other headers, a path with dot segments) exactly as given.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
