import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ServiceError } from '@nomaly/platform-core';
import { detectorV1 } from '@nomaly/proto';
import type { FastifyInstance } from 'fastify';

export const PROTOBUF = 'application/x-protobuf';

const configured = new WeakSet<FastifyInstance>();

/**
 * The binary detect body (`Content-Type: application/x-protobuf`, a `nomaly.detector.v1.
 * DetectRequest`): decoded here into the same `{rows, explain}` the JSON form gives, so one
 * validation path names every bad row and column whichever form was sent. The body limit
 * (`MAX_REQUEST_SIZE_MB`) applies as for JSON.
 */
@Injectable()
export class ProtobufDetectBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as { getInstance?: () => FastifyInstance } | undefined;
    const fastify = adapter?.getInstance?.();
    if (fastify === undefined || configured.has(fastify)) return;
    configured.add(fastify);
    fastify.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, decodeDetectRequest(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}

/** A protobuf DetectRequest as the JSON request shape. */
export function decodeDetectRequest(body: Uint8Array): { rows: number[][]; explain?: true } {
  let message: detectorV1.DetectRequest;
  try {
    message = detectorV1.DetectRequest.decode(body);
  } catch (error) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'The body is not a valid nomaly.detector.v1.DetectRequest.',
      { cause: error },
    );
  }
  const d = message.featureCount;
  if (d <= 0 || message.values.length % d !== 0) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `feature_count must be positive and divide the ${message.values.length} values; got ${d}.`,
    );
  }
  const rows: number[][] = [];
  for (let offset = 0; offset < message.values.length; offset += d) {
    rows.push(message.values.slice(offset, offset + d));
  }
  return { rows, ...(message.explain ? { explain: true as const } : {}) };
}

/** A detect answer as a protobuf DetectResponse. */
export function encodeDetectResponse(response: {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { modelId: string; version: number };
  features: readonly string[];
  explanations?: number[][];
}): Buffer {
  return Buffer.from(
    detectorV1.DetectResponse.encode({
      scores: response.scores,
      labels: response.labels,
      threshold: response.threshold,
      modelId: response.modelVersion.modelId,
      modelVersion: response.modelVersion.version,
      features: [...response.features],
      explanations: response.explanations?.flat() ?? [],
    }).finish(),
  );
}
