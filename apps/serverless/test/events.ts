/**
 * Events as AWS delivers them (the shapes of the API Gateway and S3 documentation's samples),
 * with the fields a handler might read filled in realistically.
 */
import type {
  ApiGatewayProxyEventV1,
  ApiGatewayProxyEventV2,
} from '../src/handlers/api-gateway.js';
import type { S3Event } from '../src/handlers/batch.js';

/** A REST API (v1) Lambda proxy event for `POST /detect`. */
export function restApiEvent(
  body: string | null,
  options: { method?: string; contentType?: string; base64?: boolean } = {},
): ApiGatewayProxyEventV1 {
  const encoded = options.base64 === true && body !== null;
  const event = {
    resource: '/detect',
    path: '/detect',
    httpMethod: options.method ?? 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': options.contentType ?? 'application/json',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'User-Agent': 'curl/8.5.0',
      'X-Forwarded-For': '203.0.113.7',
    },
    multiValueHeaders: {
      'Content-Type': [options.contentType ?? 'application/json'],
    },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      httpMethod: options.method ?? 'POST',
      path: '/prod/detect',
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      resourcePath: '/detect',
      stage: 'prod',
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
    },
    body: encoded ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: encoded,
  };
  return event;
}

/** An HTTP API (v2) event for `POST /detect`. */
export function httpApiEvent(
  body: string | undefined,
  options: { method?: string; contentType?: string; base64?: boolean } = {},
): ApiGatewayProxyEventV2 {
  const encoded = options.base64 === true && body !== undefined;
  const method = options.method ?? 'POST';
  const event = {
    version: '2.0' as const,
    routeKey: `${method} /detect`,
    rawPath: '/detect',
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      'content-type': options.contentType ?? 'application/json',
      host: 'xyz789.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'xyz789',
      domainName: 'xyz789.execute-api.eu-west-1.amazonaws.com',
      http: {
        method,
        path: '/detect',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: `${method} /detect`,
      stage: '$default',
      time: '27/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_860_000_000,
    },
    ...(body === undefined
      ? {}
      : { body: encoded ? Buffer.from(body, 'utf8').toString('base64') : body }),
    isBase64Encoded: encoded,
  };
  return event;
}

/** An S3 `ObjectCreated:Put` notification for one object (its key URL-encoded, as S3 sends). */
export function s3PutEvent(bucket: string, key: string, size: number): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: '2026-11-27T10:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'nomaly-batch',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
            size,
            eTag: 'd41d8cd98f00b204e9800998ecf8427e',
            sequencer: '0055AED6DCD90281E5',
          },
        },
      } as S3Event['Records'][number],
    ],
  };
}
