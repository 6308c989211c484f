import { detect } from '@nomaly/edge-runtime';
import { ServiceError, type Logger } from '@nomaly/platform-core';
import type { ModelProvider } from '../model/model-provider.js';
import {
  jsonResult,
  problemResult,
  requestOf,
  type ApiGatewayEvent,
  type ApiGatewayResult,
  type HttpRequest,
} from './api-gateway.js';

export interface DetectHandlerOptions {
  readonly models: ModelProvider;
  readonly maxRows: number;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

export type DetectHandler = (event: ApiGatewayEvent) => Promise<ApiGatewayResult>;

/**
 * The `detect` function behind API Gateway (REST API v1 proxy or HTTP API v2 events): the REST
 * detect's request (`{"rows"}` or `{"records"}`, optional `explain`) and answer (`{scores,
 * labels, threshold, modelVersion, features}`), validated by the same code, and errors as
 * problem+json with the same status codes.
 */
export function createDetectHandler(options: DetectHandlerOptions): DetectHandler {
  return async (event) => {
    let request: HttpRequest | undefined;
    try {
      request = requestOf(event);
      if (request.method !== 'POST') {
        throw new ServiceError('NOT_FOUND', `Only POST detects; got ${request.method}.`, {
          status: 405,
        });
      }
      const type = request.headers['content-type'];
      if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
        throw new ServiceError(
          'UNSUPPORTED_MEDIA_TYPE',
          `Send the detect body as application/json, not ${type.slice(0, 64)}.`,
        );
      }
      if (request.body.length > options.maxBodyBytes) {
        throw new ServiceError(
          'PAYLOAD_TOO_LARGE',
          `The body is ${request.body.length} bytes; at most ${options.maxBodyBytes} (MAX_REQUEST_SIZE_MB).`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new ServiceError('VALIDATION_FAILED', 'The body is not valid JSON.');
      }
      const model = await options.models.get();
      return jsonResult(200, detect(model, body, { maxRows: options.maxRows }));
    } catch (error) {
      const known =
        error instanceof ServiceError
          ? error
          : new ServiceError('INTERNAL', 'The function could not complete the request.');
      if (!known.isClientError) {
        options.logger.error({ err: error, requestId: request?.requestId }, 'detect failed');
      }
      return problemResult(known, request);
    }
  };
}
