import { toProblem, type ServiceError } from '@nomaly/platform-core';

/** An API Gateway REST API (v1) Lambda proxy event, as far as the handler reads it. */
export interface ApiGatewayProxyEventV1 {
  readonly resource?: string;
  readonly path: string;
  readonly httpMethod: string;
  readonly headers: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  readonly requestContext?: { readonly requestId?: string };
}

/** An API Gateway HTTP API (v2) event, as far as the handler reads it. */
export interface ApiGatewayProxyEventV2 {
  readonly version: '2.0';
  readonly rawPath: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly http: { readonly method: string; readonly path: string };
    readonly requestId?: string;
  };
}

export type ApiGatewayEvent = ApiGatewayProxyEventV1 | ApiGatewayProxyEventV2;

/** What both API Gateway versions take back from a proxy integration. */
export interface ApiGatewayResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case (v1 keeps the client's casing, v2 lowers it). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly requestId: string | undefined;
}

/** The request in an event of either version. */
export function requestOf(event: ApiGatewayEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? '';
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if ('version' in event && event.version === '2.0') {
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path: event.rawPath,
      headers,
      body,
      requestId: event.requestContext.requestId,
    };
  }
  const v1 = event as ApiGatewayProxyEventV1;
  return {
    method: v1.httpMethod.toUpperCase(),
    path: v1.path,
    headers,
    body,
    requestId: v1.requestContext?.requestId,
  };
}

export function jsonResult(statusCode: number, body: unknown): ApiGatewayResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** An RFC 9457 problem answer, with Retry-After when the error carries one. */
export function problemResult(
  error: ServiceError,
  request: HttpRequest | undefined,
): ApiGatewayResult {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return {
    statusCode: error.status,
    headers,
    body: JSON.stringify(
      toProblem(error, {
        ...(request === undefined ? {} : { instance: request.path }),
        ...(request?.requestId === undefined ? {} : { requestId: request.requestId }),
      }),
    ),
    isBase64Encoded: false,
  };
}
