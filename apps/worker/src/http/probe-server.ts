import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { Logger, PlatformMetrics, Resilience } from '@nomaly/platform-core';
import type { Database } from '@nomaly/platform-persistence';

/** What the probes read from the running worker. */
export interface ProbeSources {
  readonly service: string;
  readonly version: string;
  readonly startedAt: Date;
  readonly database: Database;
  readonly metrics: PlatformMetrics;
  readonly resilience: Resilience;
  /** Whether Redis (the queues) answers. */
  queueAvailable(): Promise<boolean>;
  draining(): boolean;
  /** Jobs running in this process, and the scoring threads. */
  load(): { jobs: number; threads: number };
}

interface Answer {
  status: number;
  body: unknown;
  type?: string;
}

type Handler = (sources: ProbeSources) => Answer | Promise<Answer>;

/**
 * The worker's probes, as the services have them (it serves no API): `/health` (alive),
 * `/ready` (not draining and the database answers; a Redis outage is reported, not fatal — the
 * worker waits for it), `/health/db`, `/health/cache` (Redis), `/status` and `/metrics`.
 */
const ROUTES: Readonly<Record<string, Handler>> = {
  '/health': (s) => ({ status: 200, body: { status: 'ok', service: s.service } }),
  '/ready': async (s) => {
    const [database, queue] = await Promise.all([s.database.ping(2_000), s.queueAvailable()]);
    const ready = !s.draining() && database.ok;
    return {
      status: ready ? 200 : 503,
      body: {
        ready,
        draining: s.draining(),
        checks: { database: database.ok ? 'up' : 'down', queue: queue ? 'up' : 'degraded' },
      },
    };
  },
  '/health/db': async (s) => {
    const check = await s.database.ping(2_000);
    return {
      status: check.ok ? 200 : 503,
      body: { status: check.ok ? 'up' : 'down', ...check, pool: s.database.poolStats() },
    };
  },
  '/health/cache': async (s) => {
    const ok = await s.queueAvailable();
    return { status: ok ? 200 : 503, body: { status: ok ? 'up' : 'down', kind: 'redis' } };
  },
  '/status': async (s) => {
    const [database, queue] = await Promise.all([s.database.ping(2_000), s.queueAvailable()]);
    return {
      status: 200,
      body: {
        service: s.service,
        version: s.version,
        uptimeSeconds: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
        draining: s.draining(),
        database: { ...database, pool: s.database.poolStats() },
        queue: { ok: queue },
        ...s.load(),
        breakers: s.resilience.states(),
      },
    };
  },
  '/metrics': async (s) => ({
    status: 200,
    body: await s.metrics.metrics(),
    type: s.metrics.contentType,
  }),
};

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

function send(response: ServerResponse, status: number, body: unknown, type = JSON_TYPE): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function problem(status: number, code: string, title: string, detail: string, instance: string) {
  return {
    type: `https://nomaly.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    detail,
    code,
    instance,
  };
}

async function route(
  sources: ProbeSources,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const handler = ROUTES[path];
  if (handler === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    const detail =
      'The worker serves GET /health, /ready, /health/db, /health/cache, /status and /metrics.';
    send(response, 404, problem(404, 'NOT_FOUND', 'Not found', detail, path), PROBLEM_TYPE);
    return;
  }
  const { status, body, type } = await handler(sources);
  send(response, status, body, type);
}

/** Listens on `host:port`; resolves once listening. */
export async function startProbeServer(
  sources: ProbeSources,
  listen: { host: string; port: number },
  logger: Logger,
): Promise<Server> {
  const server = createServer((request, response) => {
    route(sources, request, response).catch((error: unknown) => {
      logger.error({ err: error, url: request.url }, 'probe failed');
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      const detail = 'The probe could not be answered; see the worker log.';
      send(response, 500, problem(500, 'INTERNAL', 'Internal error', detail, path), PROBLEM_TYPE);
    });
  });
  server.listen(listen.port, listen.host);
  await once(server, 'listening');
  return server;
}
