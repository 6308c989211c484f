import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import multipart from '@fastify/multipart';
import { PLATFORM_CONFIG } from '@nomaly/platform-nest';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DatasetConfig } from '../config.js';
import { UPLOAD_FORMATS } from '../ingest/table.js';

/** Fastify route config that marks a route whose body its handler reads as a stream. */
export const STREAM_BODY = { streamBody: true } as const;

/**
 * The internal content type a streamed upload is relabelled to: its parser hands the raw body
 * on untouched. (The service's `application/json` parser, which Nest owns and which buffers,
 * stays as it is for every other route.)
 */
const STREAM_CONTENT_TYPE = 'application/vnd.nomaly.upload-stream';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Content-Type of a streamed upload as the client sent it (lower-cased, no parameters). */
    uploadContentType?: string;
  }
  interface FastifyContextConfig {
    streamBody?: boolean;
  }
}

const configured = new WeakSet<FastifyInstance>();

/** The media type of a Content-Type header: lower-cased, without parameters. */
export function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/**
 * Streams upload bodies to the parser instead of buffering them. For routes marked with
 * {@link STREAM_BODY}, a CSV, JSON or NDJSON body is relabelled before Fastify picks a body
 * parser, and the parser for that label passes the stream through; multipart bodies go to
 * `@fastify/multipart`, read as a stream with `request.file()`. Registered once, whichever of
 * the HTTP and gRPC contexts initialises first.
 */
@Injectable()
export class UploadBodySetup implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    @Inject(PLATFORM_CONFIG) private readonly config: DatasetConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as { getInstance?: () => FastifyInstance } | undefined;
    const fastify = adapter?.getInstance?.();
    if (fastify === undefined || configured.has(fastify)) return;
    configured.add(fastify);
    const maxBytes = Math.floor(this.config.MAX_REQUEST_SIZE_MB * 1024 * 1024);

    fastify.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
      const type = mediaType(request.headers['content-type']);
      if (
        request.routeOptions.config.streamBody === true &&
        type !== undefined &&
        type in UPLOAD_FORMATS
      ) {
        request.uploadContentType = type;
        request.headers['content-type'] = STREAM_CONTENT_TYPE;
      }
      done();
    });
    fastify.addContentTypeParser(STREAM_CONTENT_TYPE, (_request, payload, done) => {
      done(null, payload);
    });
    void fastify.register(multipart, {
      // The service's own byte counter enforces MAX_REQUEST_SIZE_MB with a message naming it;
      // the plugin's bound is a backstop just above it.
      limits: { fileSize: maxBytes + 1, files: 1, fields: 0, parts: 2, headerPairs: 100 },
      throwFileSizeLimit: true,
    });
    // An error answered before the body was read (a 2 GB Content-Length, a 401): closing the
    // connection spares reading the rest of a body nobody will use.
    fastify.addHook('onSend', async (request, reply, payload) => {
      if (request.routeOptions.config.streamBody === true && reply.statusCode >= 400) {
        void reply.header('Connection', 'close');
      }
      return payload;
    });
  }
}
