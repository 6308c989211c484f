import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CentralClient, CentralRejectedError, CentralUnavailableError } from './central-client.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A local HTTP server answering as the central API would; it records what it was asked. */
async function serve(handler: Handler): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? '-'}`);
      handler(request, body, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

function json(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  servers = [];
});

describe(CentralClient.name, () => {
  it('exchanges the API key once, reuses the token, and renews it before it expires', async () => {
    let issued = 0;
    const central = await serve((request, body, response) => {
      if (request.url === '/api/v1/auth/token') {
        expect(JSON.parse(body)).toEqual({ apiKey: 'nmly_test' });
        issued += 1;
        return json(response, 200, {
          accessToken: `t${issued}`,
          tokenType: 'Bearer',
          expiresIn: 900,
        });
      }
      json(response, 200, { items: [] });
    });
    servers.push(central.server);
    let clock = 1_000_000;
    const sut = new CentralClient({
      baseUrl: `${central.url}/`,
      apiKey: 'nmly_test',
      timeoutMs: 5_000,
      now: () => clock,
    });
    await Promise.all([sut.edgeModels(), sut.edgeModels(), sut.edgeModels()]);
    expect(issued).toBe(1);
    clock += 839_000; // 61 s before expiry: still good
    await sut.edgeModels();
    expect(issued).toBe(1);
    clock += 2_000; // inside the renewal margin
    await sut.edgeModels();
    expect(issued).toBe(2);
    expect(central.seen.at(-1)).toBe('GET /api/v1/models/edge Bearer t2');
  });

  it('exchanges the key again once when central answers 401, then succeeds', async () => {
    let issued = 0;
    const central = await serve((request, _body, response) => {
      if (request.url === '/api/v1/auth/token') {
        issued += 1;
        return json(response, 200, { accessToken: `t${issued}`, expiresIn: 900 });
      }
      if (request.headers.authorization === 'Bearer t1') {
        return json(response, 401, { code: 'UNAUTHENTICATED', detail: 'token revoked' });
      }
      json(response, 200, { accepted: ['a'], duplicates: [] });
    });
    servers.push(central.server);
    const sut = new CentralClient({ baseUrl: central.url, apiKey: 'k', timeoutMs: 5_000 });
    const receipt = await sut.uploadResults('agent-1', []);
    expect(receipt.accepted).toEqual(['a']);
    expect(issued).toBe(2);
  });

  it('tells "try later" (5xx, 429, refused) from "refused for good" (4xx with the problem)', async () => {
    const central = await serve((request, _body, response) => {
      if (request.url === '/api/v1/auth/token')
        return json(response, 200, { accessToken: 't', expiresIn: 900 });
      if (request.url === '/api/v1/models/edge') {
        return json(
          response,
          503,
          { code: 'DEPENDENCY_UNAVAILABLE', detail: 'db down' },
          { 'Retry-After': '7' },
        );
      }
      json(response, 422, {
        code: 'VALIDATION_FAILED',
        detail: 'Nothing stored',
        errors: [{ field: 'results[0].detectorId', message: 'no detector' }],
      });
    });
    servers.push(central.server);
    const sut = new CentralClient({ baseUrl: central.url, apiKey: 'k', timeoutMs: 5_000 });
    const unavailable = await sut.edgeModels().catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(CentralUnavailableError);
    expect((unavailable as CentralUnavailableError).retryAfterSeconds).toBe(7);
    expect((unavailable as Error).message).toMatch(
      /GET \/api\/v1\/models\/edge: central answered 503 \(db down\)/,
    );
    const rejected = await sut.uploadResults('a', []).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(CentralRejectedError);
    expect((rejected as CentralRejectedError).status).toBe(422);
    expect((rejected as CentralRejectedError).problem?.errors?.[0]?.field).toBe(
      'results[0].detectorId',
    );

    const nobody = await serve(() => undefined);
    await new Promise((r) => nobody.server.close(r));
    const refused = await new CentralClient({ baseUrl: nobody.url, apiKey: 'k', timeoutMs: 5_000 })
      .edgeModels()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CentralUnavailableError);
    expect((refused as Error).message).toMatch(
      /POST \/api\/v1\/auth\/token: central unreachable \(ECONNREFUSED\)/,
    );
  });
});
