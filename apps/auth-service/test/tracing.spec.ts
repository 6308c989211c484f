/**
 * Traces end to end: the service exports spans over OTLP/HTTP (JSON) to a collector this test
 * runs, and the log lines of a request carry the same trace id as its span — the trace id the
 * caller started with its `traceparent` header.
 */
import { once } from 'node:events';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_ROOT, protoPath } from '@nomaly/proto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  eventually,
  startService,
  TEST_REDIS_URL,
  type RunningService,
} from './harness.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

let collector: Server;
const spans: ExportedSpan[] = [];
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningService;

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
        };
        for (const resource of payload.resourceSpans) {
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        }
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const address = collector.address();
  if (address === null || typeof address === 'string') throw new Error('no collector port');

  database = await createTestDatabase();
  service = await startService({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${address.port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
});

afterAll(async () => {
  if (service !== undefined) expect(await service.stop()).toBe(0);
  await database?.drop();
  collector?.close();
});

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

describe('tracing', () => {
  it('continues the caller’s trace; the request’s logs and its span share the trace id', async () => {
    const traceId = randomHex(16);
    const parent = '00f067aa0ba902b7';
    const response = await fetch(`${service.baseUrl}/api/v1/auth/me`, {
      headers: { traceparent: `00-${traceId}-${parent}-01`, 'X-Request-Id': 'trace-test-1' },
    });
    expect(response.status).toBe(401);

    const span = await eventually(() => {
      const found = spans.find((s) => s.traceId === traceId);
      expect(found).toBeDefined();
      return Promise.resolve(found as ExportedSpan);
    }, 10_000);
    expect(span.name).toBe('GET /api/v1/auth/me');
    expect(span.attributes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'http.route', value: { stringValue: '/api/v1/auth/me' } }),
      ]),
    );

    const requestLogs = service.logs.filter((line) => line.reqId === 'trace-test-1');
    expect(requestLogs.length).toBeGreaterThan(0);
    for (const line of requestLogs) expect(line.trace_id).toBe(traceId);
    expect(requestLogs.some((line) => line.span_id === span.spanId)).toBe(true);
  });

  it('continues a trace carried in gRPC metadata', async () => {
    const traceId = randomHex(16);
    const definition = loadSync(protoPath(PROTO_FILES.auth), { includeDirs: [PROTO_ROOT] });
    const loaded = loadPackageDefinition(definition) as unknown as {
      nomaly: { auth: { v1: { AuthService: ServiceClientConstructor } } };
    };
    const client = new loaded.nomaly.auth.v1.AuthService(
      service.grpcAddress,
      credentials.createInsecure(),
    ) as InstanceType<ServiceClientConstructor> & {
      IntrospectApiKey(
        request: { apiKey: string },
        metadata: Metadata,
        options: { deadline: Date },
        callback: (error: Error | null) => void,
      ): void;
    };
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${traceId}-${randomHex(8)}-01`);
    await new Promise<void>((resolve, reject) => {
      client.IntrospectApiKey(
        { apiKey: 'garbage' },
        metadata,
        { deadline: new Date(Date.now() + 5_000) },
        (error) => (error === null ? resolve() : reject(error)),
      );
    });
    client.close();
    const span = await eventually(() => {
      const found = spans.find((s) => s.traceId === traceId);
      expect(found).toBeDefined();
      return Promise.resolve(found as ExportedSpan);
    }, 10_000);
    expect(span.name).toContain('nomaly.auth.v1.AuthService/IntrospectApiKey');
  });
});
