/**
 * The web UI's server: static files under /ui, the probes every Nomaly process answers
 * (/health, /ready, /metrics) and nothing else. It never talks to the API: the browser does,
 * through the same gateway that routes /ui here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ServiceError, toProblem, type Logger, type PlatformMetrics } from '@nomaly/platform-core';
import type { StaticAsset } from './static-files.js';

/** Where the gateway mounts the UI (the VirtualService routes this prefix here). */
export const MOUNT = '/ui';

/**
 * The Content-Security-Policy of every answer. Scripts, styles, fetches and images come from
 * this origin only (the API is the same origin, behind the same gateway); no inline script or
 * style at all; no plugins, frames, base-URI tricks or form posts elsewhere; and Trusted Types
 * with no policy, so a string can never reach an HTML sink (the app builds DOM nodes only).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and client routes): always revalidated, so a new deploy shows at once. */
const REVALIDATE = 'no-cache';

export interface WebServerOptions {
  readonly assets: ReadonlyMap<string, StaticAsset>;
  readonly logger: Logger;
  readonly metrics: PlatformMetrics;
}

export interface WebServer {
  readonly server: Server;
  /** From now on /ready answers 503 (SIGTERM: the load balancer stops sending traffic). */
  drain(): void;
}

type Route = '/health' | '/ready' | '/metrics' | '/ui/assets/*' | '/ui/*' | 'unmatched';

export function createWebServer(options: WebServerOptions): WebServer {
  const { assets, logger, metrics } = options;
  const index = assets.get('/index.html');
  if (index === undefined) throw new Error('createWebServer: the assets have no /index.html');
  let draining = false;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<Route> => {
    const url = new URL(request.url ?? '/', 'http://web.invalid');
    const path = url.pathname;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const method = request.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';

    if (path === '/health' || path === '/ready' || path === '/metrics') {
      if (!readOnly) return refuseMethod(request, response, path);
      response.setHeader('Cache-Control', 'no-store');
      if (path === '/metrics') {
        const text = await metrics.registry.metrics();
        send(response, method, 200, metrics.registry.contentType, Buffer.from(text));
        return path;
      }
      const ready = path === '/health' || !draining;
      const body = JSON.stringify({
        status: path === '/health' ? 'ok' : ready ? 'ready' : 'draining',
      });
      send(
        response,
        method,
        ready ? 200 : 503,
        'application/json; charset=utf-8',
        Buffer.from(body),
      );
      return path;
    }

    if (path === MOUNT) {
      // /ui → /ui/: relative links and the client router both expect the trailing slash.
      response.setHeader('Location', `${MOUNT}/${url.search}`);
      response.setHeader('Cache-Control', 'no-cache');
      send(response, method, 308, 'text/plain; charset=utf-8', Buffer.from(`${MOUNT}/\n`));
      return '/ui/*';
    }
    if (!path.startsWith(`${MOUNT}/`)) {
      problem(
        response,
        method,
        new ServiceError(
          'NOT_FOUND',
          `Nothing is served at ${path.slice(0, 200)}; the web UI is at ${MOUNT}/.`,
        ),
        path,
      );
      return 'unmatched';
    }
    if (!readOnly) return refuseMethod(request, response, '/ui/*');

    const inner = path.slice(MOUNT.length);
    const asset = assets.get(inner === '/' ? '/index.html' : inner);
    if (asset !== undefined) {
      serveAsset(request, response, method, asset);
      return inner.startsWith('/assets/') ? '/ui/assets/*' : '/ui/*';
    }
    // A path with an extension names a file (a stale hashed asset, say); one without is a page
    // of the app (/ui/datasets/…), which the client-side router draws from index.html.
    const last = inner.slice(inner.lastIndexOf('/') + 1);
    if (last.includes('.') || inner.startsWith('/assets/')) {
      problem(
        response,
        method,
        new ServiceError('NOT_FOUND', `No file ${path.slice(0, 200)} in this build of the web UI.`),
        path,
      );
      return '/ui/assets/*';
    }
    serveAsset(request, response, method, index);
    return '/ui/*';
  };

  const server = createServer((request, response) => {
    const started = process.hrtime.bigint();
    handle(request, response)
      .then((route) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const labels = {
          method: request.method ?? 'GET',
          route,
          status: String(response.statusCode),
        };
        metrics.httpRequests.inc(labels);
        metrics.httpDuration.observe(labels, seconds);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, url: request.url }, 'request failed');
        if (!response.headersSent) {
          problem(response, request.method ?? 'GET', error, request.url ?? '/');
        } else {
          response.destroy();
        }
      });
  });
  // Slow-loris bounds: a client must send its headers and body promptly.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  return {
    server,
    drain() {
      draining = true;
    },
  };
}

function serveAsset(
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
  asset: StaticAsset,
): void {
  response.setHeader('Cache-Control', asset.immutable ? IMMUTABLE : REVALIDATE);
  response.setHeader('ETag', asset.etag);
  if (asset.gzip !== undefined || asset.brotli !== undefined)
    response.setHeader('Vary', 'Accept-Encoding');
  if (matchesEtag(request.headers['if-none-match'], asset.etag)) {
    response.statusCode = 304;
    response.end();
    return;
  }
  const accepted = request.headers['accept-encoding'] ?? '';
  let body = asset.body;
  if (asset.brotli !== undefined && acceptsEncoding(accepted, 'br')) {
    response.setHeader('Content-Encoding', 'br');
    body = asset.brotli;
  } else if (asset.gzip !== undefined && acceptsEncoding(accepted, 'gzip')) {
    response.setHeader('Content-Encoding', 'gzip');
    body = asset.gzip;
  }
  send(response, method, 200, asset.contentType, body);
}

function send(
  response: ServerResponse,
  method: string,
  status: number,
  type: string,
  body: Buffer,
): void {
  response.statusCode = status;
  response.setHeader('Content-Type', type);
  response.setHeader('Content-Length', body.length);
  response.end(method === 'HEAD' ? undefined : body);
}

function problem(response: ServerResponse, method: string, error: unknown, instance: string): void {
  const document = toProblem(error, { instance: instance.slice(0, 200) });
  response.setHeader('Cache-Control', 'no-store');
  send(
    response,
    method,
    document.status,
    'application/problem+json',
    Buffer.from(JSON.stringify(document)),
  );
}

function refuseMethod(request: IncomingMessage, response: ServerResponse, route: Route): Route {
  response.setHeader('Allow', 'GET, HEAD');
  problem(
    response,
    request.method ?? 'GET',
    // As the platform maps 405: code NOT_FOUND (no route for this method), status 405.
    new ServiceError(
      'NOT_FOUND',
      `${(request.method ?? '?').slice(0, 20)} is not allowed here: the web UI serves GET and HEAD.`,
      { status: 405 },
    ),
    request.url ?? '/',
  );
  return route;
}

/** `If-None-Match`: a list of entity tags, or `*` (weak comparison, as RFC 9110 says for it). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/** Whether `Accept-Encoding` accepts `coding` (present and not `;q=0`). */
export function acceptsEncoding(header: string, coding: string): boolean {
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== coding && name !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
