import { randomUUID } from 'node:crypto';
import { detect, type DetectResponse } from '@nomaly/edge-runtime';
import { ServiceError, toProblem, type Logger, type ProblemCode } from '@nomaly/platform-core';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { BufferFullError, type ResultBuffer } from '../buffer/result-buffer.js';
import type { EdgeConfig } from '../config.js';
import type { EdgeMetrics } from '../metrics.js';
import type { EdgeServedModel, ModelStore } from '../models/model-store.js';

export interface EdgeHttpDependencies {
  readonly config: EdgeConfig;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  readonly models: ModelStore;
  readonly buffer: ResultBuffer;
  /** Called after a result is buffered, so the uploader sends it soon. */
  readonly onBuffered: () => void;
  /** JSON for `/status`: sync and upload state. */
  readonly status: () => Record<string, unknown>;
  /** False while draining on SIGTERM: `/ready` answers 503. */
  readonly accepting: () => boolean;
}

/** The edge answer: the central detect's, plus the id the result is uploaded under. */
export type EdgeDetectResponse = DetectResponse & { resultId: string };

const FASTIFY_CODES: Readonly<Record<string, [ProblemCode, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    'PAYLOAD_TOO_LARGE',
    'The request body exceeds MAX_REQUEST_SIZE_MB.',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UNSUPPORTED_MEDIA_TYPE',
    'Send the detect body as application/json.',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    'VALIDATION_FAILED',
    'The body is empty but Content-Type is application/json.',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: ['VALIDATION_FAILED', 'The body is not valid JSON.'],
};

/**
 * The agent's local REST API. `POST /detect` (one model served, or `?model=` its id, name or
 * detector id) and `POST /api/v1/detectors/{id}/detect` take and answer what the central detect
 * does; the result is on disk (fsynced) before the answer is sent. A full buffer answers 503
 * with Retry-After: the client keeps its data and tries again, nothing is dropped.
 */
export function createEdgeServer(deps: EdgeHttpDependencies): FastifyInstance {
  const { config, metrics, models, buffer } = deps;
  // Requests are counted in the metrics; the agent's own logger reports what went wrong.
  const app = Fastify({
    logger: false,
    bodyLimit: Math.floor(config.MAX_REQUEST_SIZE_MB * 1024 * 1024),
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.platform.observeHttp(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setNotFoundHandler((request) => {
    throw new ServiceError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asServiceError(error);
    if (!known.isClientError && !(error instanceof ServiceError)) {
      deps.logger.error({ err: error, url: request.url }, 'detect failed');
    }
    return sendProblem(reply, known, request.url.split('?')[0]);
  });

  const score = async (model: EdgeServedModel, body: unknown): Promise<EdgeDetectResponse> => {
    const answer = detect(model, body, { maxRows: config.MAX_DETECTION_BATCH_SIZE });
    const resultId = randomUUID();
    try {
      await buffer.append({
        id: resultId,
        detectorId: model.detectorId,
        modelId: model.modelId,
        modelVersion: model.version,
        scoredAt: new Date().toISOString(),
        scores: answer.scores,
        labels: answer.labels,
        threshold: answer.threshold,
      });
    } catch (error) {
      if (!(error instanceof BufferFullError)) throw error;
      metrics.bufferRejections.inc();
      throw new ServiceError(
        'SERVICE_UNAVAILABLE',
        `${error.message} Nothing was recorded for this request; send it again after Retry-After.`,
        {
          retryAfterSeconds: config.SYNC_INTERVAL,
          details: { bufferedBytes: error.usedBytes, maxBytes: error.maxBytes },
        },
      );
    }
    deps.onBuffered();
    return { ...answer, resultId };
  };

  app.post<{ Querystring: { model?: string } }>('/detect', async (request) => {
    return score(select(models, request.query.model, config.SYNC_INTERVAL), request.body);
  });

  app.post<{ Params: { id: string } }>('/api/v1/detectors/:id/detect', async (request) => {
    const model = models.byDetector(request.params.id);
    if (model === undefined) {
      throw new ServiceError(
        'NOT_FOUND',
        `No detector with id ${request.params.id.slice(0, 64)} is served by this agent.`,
      );
    }
    return score(model, request.body);
  });

  app.get('/health', () => Promise.resolve({ status: 'ok' }));

  app.get('/ready', (_request, reply) => {
    const served = models.all().length;
    if (deps.accepting() && served > 0) return Promise.resolve({ status: 'ready', models: served });
    void reply.status(503);
    return Promise.resolve({
      status: 'not-ready',
      reason: deps.accepting() ? 'no model synced yet' : 'shutting down',
    });
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.type(metrics.platform.contentType);
    return metrics.platform.metrics();
  });

  app.get('/status', () =>
    Promise.resolve({
      agentId: config.EDGE_AGENT_ID,
      models: models.all().map((model) => ({
        modelId: model.modelId,
        name: model.name,
        version: model.version,
        sha256: model.sha256,
        detectorId: model.detectorId,
      })),
      buffer: buffer.stats(),
      ...deps.status(),
    }),
  );

  return app;
}

function select(
  models: ModelStore,
  selector: string | undefined,
  retryAfter: number,
): EdgeServedModel {
  const all = models.all();
  if (selector !== undefined) {
    const found = models.find(selector);
    if (found === undefined) {
      throw new ServiceError(
        'NOT_FOUND',
        `No model "${selector.slice(0, 64)}" is served by this agent (served: ${all.map((m) => m.name).join(', ') || 'none'}).`,
      );
    }
    return found;
  }
  const [only, ...others] = all;
  if (only === undefined) {
    throw new ServiceError(
      'SERVICE_UNAVAILABLE',
      'No model has been synced from central yet, and none is cached on disk.',
      { retryAfterSeconds: retryAfter },
    );
  }
  if (others.length > 0) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `This agent serves ${all.length} models; choose one with ?model= (its id, name or detector id): ${all.map((m) => m.name).join(', ')}.`,
    );
  }
  return only;
}

function asServiceError(error: FastifyError): ServiceError {
  if (error instanceof ServiceError) return error;
  const mapped = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
  if (mapped !== undefined) return new ServiceError(mapped[0], mapped[1]);
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ServiceError('VALIDATION_FAILED', 'The body is not valid JSON.');
  }
  return new ServiceError('INTERNAL', 'The agent could not complete the request.', {
    cause: error,
  });
}

function sendProblem(reply: FastifyReply, error: ServiceError, instance: string | undefined) {
  if (error.retryAfterSeconds !== undefined) {
    void reply.header('Retry-After', String(error.retryAfterSeconds));
  }
  return reply
    .status(error.status)
    .type('application/problem+json')
    .send(toProblem(error, instance === undefined ? {} : { instance }));
}
