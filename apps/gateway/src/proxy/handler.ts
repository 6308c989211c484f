import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import type { Logger } from '@nomaly/platform-core';
import type { IstioMetrics, RequestOutcome } from '../observability/istio-metrics.js';
import type { RequestView } from '../routing/match.js';
import type {
  CompiledDestination,
  CompiledRoute,
  RouteMatch,
  RoutingTable,
} from '../routing/table.js';
import { Exchange, localReply, REPLY, RETRY_BUFFER_BYTES, type RequestBody } from './exchange.js';
import { Deadlines } from './deadlines.js';
import { applyHeaderEdits, forwardableRequestHeaders } from './headers.js';

export interface HandlerDependencies {
  /** The current routing table (swapped on reload). */
  readonly table: () => RoutingTable;
  readonly metrics: IstioMetrics;
  readonly logger: Logger;
  /** True once shutdown began: responses close their connections. */
  readonly draining: () => boolean;
}

const NO_DESTINATION = { serviceName: 'unknown', serviceFqdn: 'unknown', subset: undefined };

/** The gateway's request listener: route, then forward, redirect or answer locally. */
export function createRequestHandler(deps: HandlerDependencies) {
  const { metrics, logger } = deps;
  const accessLog = logger.isLevelEnabled('debug');
  const deadlines = new Deadlines();

  const finish = (req: IncomingMessage, route: string, outcome: RequestOutcome) => {
    metrics.record(outcome);
    if (accessLog) {
      logger.debug(
        {
          method: req.method,
          path: req.url,
          route,
          upstream: outcome.serviceName,
          subset: outcome.subset,
          status: outcome.status,
          flags: outcome.flags,
          ms: Math.round(outcome.durationMs * 10) / 10,
          requestId: req.headers['x-request-id'],
        },
        'access',
      );
    }
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    if (deps.draining()) res.shouldKeepAlive = false;
    const reply = (status: number, text: string | Buffer, flags: string, route = '-') => {
      localReply(res, status, text);
      finish(req, route, {
        ...NO_DESTINATION,
        status,
        flags,
        durationMs: performance.now() - startedAt,
      });
    };

    const view = requestView(req);
    if (view === undefined) return reply(400, 'Bad Request', 'DPE');
    const matched = deps.table().match(view);
    if (matched === undefined) return reply(404, '', 'NR');
    const { route } = matched;

    const proceed = () => {
      const fault = route.fault;
      if (fault !== undefined && fault.abortFraction > 0 && Math.random() < fault.abortFraction) {
        return reply(fault.abortStatus, REPLY.faultAbort, 'FI', route.name);
      }
      const action = route.action;
      switch (action.kind) {
        case 'direct':
          return reply(action.status, action.body ?? '', '-', route.name);
        case 'redirect': {
          const { location } = action;
          const authority = withPort(location.authority ?? view.authority, location.port);
          const query = view.query === '' ? '' : `?${view.query}`;
          const target = `${location.scheme ?? view.scheme}://${authority}${location.uri ?? view.path}${location.uri?.includes('?') === true ? '' : query}`;
          res.setHeader('location', target);
          return reply(action.status, '', '-', route.name);
        }
        case 'forward':
          break;
      }
      const destination = pickDestination(action.destinations, action.totalWeight);
      const upstream = destination.upstream;
      const failLocally = (status: number, text: string, flags: string) => {
        localReply(res, status, text);
        finish(req, route.name, {
          ...destination,
          status,
          flags,
          durationMs: performance.now() - startedAt,
        });
      };
      if (upstream === undefined) return failLocally(503, REPLY.noHealthyUpstream, 'UH');
      const stats = metrics.cluster(destination.clusterName);
      if (upstream.overflowing) {
        stats.pendingOverflow.inc();
        return failLocally(503, REPLY.overflow, 'UO');
      }

      // Read before the headers are made forwardable, which drops `transfer-encoding`.
      const length = req.headers['content-length'];
      const chunked = req.headers['transfer-encoding'] !== undefined;
      const headers = upstreamHeaders(req, route, destination);
      const path = rewritePath(route, matched, view, req.url ?? '/');
      const start = (body: RequestBody) =>
        new Exchange({
          req,
          res,
          route,
          destination,
          upstream,
          method: view.method,
          path,
          headers,
          body,
          startedAt,
          stats,
          deadlines,
          finish: (outcome) => finish(req, route.name, outcome),
        }).start();

      if ((length === undefined || length === '0') && !chunked) return start({ kind: 'none' });
      if (Number(length) > RETRY_BUFFER_BYTES) return start({ kind: 'streamed', head: [] });
      // Up to Envoy's retry buffer the body is read first: retries can send it again, and one
      // buffer costs less than a stream per request. Beyond it the body streams, untried again.
      readUpTo(req, RETRY_BUFFER_BYTES, (chunks, complete) => {
        if (chunks === undefined) {
          // The client went away while sending: nobody to answer.
          res.destroy();
          finish(req, route.name, {
            ...destination,
            status: 0,
            flags: 'DC',
            durationMs: performance.now() - startedAt,
          });
          return;
        }
        start(
          complete
            ? {
                kind: 'buffered',
                data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
              }
            : { kind: 'streamed', head: chunks },
        );
      });
    };

    const fault = route.fault;
    if (fault !== undefined && fault.delayMs > 0 && Math.random() < fault.delayFraction) {
      setTimeout(proceed, fault.delayMs);
    } else {
      proceed();
    }
  };
}

/** The parts of the request routing looks at; undefined when the target is unusable. */
function requestView(req: IncomingMessage): RequestView | undefined {
  let target = req.url ?? '/';
  let authority = req.headers.host ?? '';
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`), as proxies receive it
    try {
      const url = new URL(target);
      target = `${url.pathname}${url.search}`;
      authority = url.host;
    } catch {
      return undefined;
    }
  }
  const question = target.indexOf('?');
  let path = question === -1 ? target : target.slice(0, question);
  const query = question === -1 ? '' : target.slice(question + 1);
  // Envoy normalizes dot segments before routing (Istio's default path normalization), so
  // `/api/v1/auth/../datasets` routes — and is forwarded — as `/api/v1/datasets`.
  if (path.includes('/.') || /%2e/i.test(path)) {
    try {
      path = new URL(path, 'http://gateway').pathname;
    } catch {
      return undefined;
    }
  }
  return {
    method: req.method ?? 'GET',
    path,
    query,
    headers: req.headers,
    authority,
    scheme: 'http',
  };
}

function pickDestination(
  destinations: readonly CompiledDestination[],
  totalWeight: number,
): CompiledDestination {
  const first = destinations[0] as CompiledDestination;
  if (destinations.length === 1) return first;
  let point = Math.random() * totalWeight;
  for (const destination of destinations) {
    point -= destination.weight;
    if (point < 0) return destination;
  }
  return destinations.findLast((d) => d.weight > 0) ?? first;
}

function withPort(authority: string, port: number | undefined): string {
  if (port === undefined) return authority;
  const colon = authority.lastIndexOf(':');
  const host = colon === -1 || authority.endsWith(']') ? authority : authority.slice(0, colon);
  return `${host}:${port}`;
}

/** The path sent upstream: the normalized path and query, with `rewrite` applied. */
function rewritePath(
  route: CompiledRoute,
  matched: RouteMatch,
  view: RequestView,
  original: string,
): string {
  const query = view.query === '' ? '' : `?${view.query}`;
  const rewrite = route.rewrite;
  if (rewrite === undefined) {
    return original.startsWith('/') && !original.includes('/.') ? original : `${view.path}${query}`;
  }
  let path = view.path;
  if (rewrite.uriRegex !== undefined) {
    path = path.replace(rewrite.uriRegex.pattern, rewrite.uriRegex.replacement);
  } else if (rewrite.uri !== undefined) {
    // Envoy's prefix_rewrite: with a prefix match only the prefix is replaced, else the path.
    const prefix = matched.uriPrefix ?? (matched.route.matches.length === 0 ? '/' : undefined);
    path = prefix === undefined ? rewrite.uri : `${rewrite.uri}${path.slice(prefix.length)}`;
  }
  return `${path}${query}`;
}

function upstreamHeaders(
  req: IncomingMessage,
  route: CompiledRoute,
  destination: CompiledDestination,
): Record<string, string | string[]> {
  const headers = forwardableRequestHeaders(req.headers);
  const forwardedFor = req.headers['x-forwarded-for'];
  const address = req.socket.remoteAddress ?? '';
  const client = address.startsWith('::ffff:') ? address.slice(7) : address;
  headers['x-forwarded-for'] =
    forwardedFor === undefined ? client : `${String(forwardedFor)}, ${client}`;
  headers['x-forwarded-proto'] = 'http';
  if (headers['x-request-id'] === undefined) headers['x-request-id'] = randomUUID();
  if (route.rewrite?.authority !== undefined) headers.host = route.rewrite.authority;
  // When the gateway records spans (telemetry loaded and exporting), the upstream's spans become
  // children of the gateway's; otherwise the client's `traceparent` passes through unchanged.
  propagation.inject(context.active(), headers);
  applyHeaderEdits(headers, route.requestHeaders);
  applyHeaderEdits(headers, destination.requestHeaders);
  return headers;
}

/**
 * Reads the body until it ends (`complete`) or passes `limit` (then the client is paused and the
 * rest is left to stream); `chunks` is undefined when the client closed first.
 */
function readUpTo(
  req: IncomingMessage,
  limit: number,
  done: (chunks: Buffer[] | undefined, complete: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      req.pause();
      cleanup();
      done(chunks, false);
    }
  };
  const onEnd = () => {
    cleanup();
    done(chunks, true);
  };
  const onClose = () => {
    cleanup();
    done(undefined, false);
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
}
