import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { trace } from '@opentelemetry/api';
import { ServiceError, type Logger, type PlatformMetrics } from '@nomaly/platform-core';
import type { Lifecycle } from '../lifecycle.js';
import { bodyTooLarge, drain, DRAIN_MAX_BYTES } from './body-limit.js';
import { parseJsonBody } from './json-body.js';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify server options every service shares. `bodyLimit` bounds the decoded body (see the
 * decompression hook). `trustedProxyHops` is how many proxies in front of the service append to
 * `X-Forwarded-For` (1: the Istio ingress or the local gateway): the client address is taken that
 * many entries from the right, never from the left-most entry, which the client writes itself.
 */
export function fastifyServerOptions(options: {
  logger: Logger;
  maxRequestBytes: number;
  trustedProxyHops: number;
}): FastifyServerOptions {
  return {
    loggerInstance: options.logger,
    bodyLimit: options.maxRequestBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A caller-supplied id is kept (so a client can correlate) only when it is well formed.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Closing: finish in-flight requests, drop idle keep-alive sockets, refuse new requests 503.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    trustProxy: (_address: string, hop: number) => hop < options.trustedProxyHops,
  };
}

const DECODERS: Readonly<Record<string, () => NodeJS.ReadWriteStream>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The platform's HTTP hooks: compressed request bodies decoded (so `bodyLimit` counts decoded
 * bytes and a gzip bomb stops at the limit), security headers, CORS, request ids echoed, the
 * HTTP metrics by route template and span names by route. (Errors Fastify raises before a
 * handler runs reach Nest's error handler, hence the problem filter.)
 */
export async function registerHttpPlatform(
  fastify: FastifyInstance,
  options: {
    logger: Logger;
    metrics: PlatformMetrics;
    corsOrigins: readonly string[];
    lifecycle: Lifecycle;
  },
): Promise<void> {
  // JSON bodies through our parser: bounded nesting and errors that name the problem.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );

  const bodyLimit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      if (declared <= DRAIN_MAX_BYTES) await drain(payload);
      throw bodyTooLarge(bodyLimit);
    }
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity') return payload;
    const decoder = DECODERS[encoding];
    if (decoder === undefined) {
      throw new ServiceError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding "${encoding}" is not supported (gzip, deflate or br).`,
      );
    }
    const stream = decoder();
    const decoded = (payload as Readable).pipe(stream) as unknown as Readable & {
      receivedEncodedLength?: number;
    };
    // Fastify checks Content-Length against the bytes read off the socket; count them for it.
    decoded.receivedEncodedLength = 0;
    (payload as Readable).on('data', (chunk: Buffer) => {
      decoded.receivedEncodedLength = (decoded.receivedEncodedLength ?? 0) + chunk.length;
    });
    return decoded;
  });

  await fastify.register(helmet, {
    global: true,
    // An API answers JSON; nothing it serves should load resources or be framed.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });

  await fastify.register(cors, {
    origin:
      options.corsOrigins.length === 0
        ? false
        : options.corsOrigins.includes('*')
          ? true
          : [...options.corsOrigins],
    // Bearer tokens, not cookies: no credentials mode, so `*` stays safe.
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'Idempotent-Replayed',
    ],
    maxAge: 600,
  });

  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
    assertNoProtoParameter(request.url);
    const route = request.routeOptions.url;
    const span = trace.getActiveSpan();
    if (span !== undefined && route !== undefined) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
  });

  fastify.addHook('onSend', async (request, reply, payload) => {
    // While draining, a keep-alive socket would hold the closing server open after its last
    // response: ask the client to close it.
    if (options.lifecycle.draining) void reply.header('Connection', 'close');
    // The OpenAPI explorer is the one HTML page a service serves; it needs its own scripts.
    if (request.url.startsWith('/api/docs')) {
      void reply.header(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      );
    }
    return payload;
  });

  fastify.addHook('onResponse', async (request, reply) => {
    options.metrics.observeHttp(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
}

/**
 * The query parser drops a `__proto__` parameter silently, so a request that carries one would
 * run without it; it is refused instead, like such a key in a JSON body.
 */
function assertNoProtoParameter(url: string): void {
  const query = url.indexOf('?');
  if (query < 0) return;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.slice(query).replaceAll('+', ' '));
  } catch {
    throw new ServiceError('VALIDATION_FAILED', 'The query string is not valid percent-encoding.');
  }
  if (decoded.includes('__proto__')) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'The query has a "__proto__" parameter, which is refused.',
    );
  }
}
