/**
 * The model loaded from the central API with an API key: the champion's artifact verified
 * against the SHA-256 central lists, kept across invocations, checked again only after
 * MODEL_REFRESH_SECONDS, and kept serving when central is unreachable. Central is a local HTTP
 * server speaking the central API's routes with real artifacts.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { CentralClient } from '@nomaly/edge-runtime';
import { createLogger, ServiceError } from '@nomaly/platform-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralModelProvider } from '../src/model/model-provider.js';
import { MODEL_ID, writeArtifact, type ModelArtifact } from './model.js';

interface Published {
  version: number;
  artifact: ModelArtifact;
  /** Bytes served instead of the artifact's (a corrupted download). */
  served?: Buffer;
}

let v1: ModelArtifact;
let v2: ModelArtifact;
let server: Server;
let url: string;
let champion: Published;
let up = true;
const requests: string[] = [];

beforeAll(async () => {
  [v1, v2] = await Promise.all([writeArtifact(1), writeArtifact(2)]);
  champion = { version: 1, artifact: v1 };
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (!up) return request.socket.destroy();
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (request.url === '/api/v1/auth/token')
      return send(200, { accessToken: 't', expiresIn: 900 });
    if (request.url === '/api/v1/models/edge') {
      return send(200, {
        items: [
          {
            modelId: MODEL_ID,
            name: 'payments',
            version: champion.version,
            sha256: champion.artifact.sha256,
            algorithm: 'iforest',
            updatedAt: new Date().toISOString(),
          },
        ],
      });
    }
    const artifact = /^\/api\/v1\/models\/([^/]+)\/versions\/(\d+)\/artifact$/.exec(
      request.url ?? '',
    );
    if (artifact?.[1] === MODEL_ID && Number(artifact[2]) === champion.version) {
      return send(200, champion.served ?? champion.artifact.bytes);
    }
    send(404, { code: 'NOT_FOUND', detail: 'no such route' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([v1, v2].map((a) => rm(a.dir, { recursive: true, force: true })));
});

describe(CentralModelProvider.name, () => {
  it('loads the champion once, follows it when it moves, and never uses a corrupted download', async () => {
    let clock = 0;
    const sut = new CentralModelProvider(
      new CentralClient({ baseUrl: url, apiKey: 'nmly_key_1234', timeoutMs: 5_000 }),
      MODEL_ID,
      300_000,
      createLogger({ service: 'central-model-test', level: 'silent' }),
      () => clock,
    );
    const first = await sut.get();
    expect(first.version).toBe(1);
    expect(first.sha256).toBe(v1.sha256);
    const asked = requests.length;
    for (let i = 0; i < 10; i++) expect(await sut.get()).toBe(first);
    expect(requests.length).toBe(asked);

    clock += 300_000; // refresh: same champion, no download
    expect(await sut.get()).toBe(first);
    expect(requests.filter((r) => r.endsWith('/artifact'))).toHaveLength(1);

    champion = { version: 2, artifact: v2, served: Buffer.from(v1.bytes) };
    clock += 300_000; // the champion moved, but its bytes arrive wrong: keep version 1
    expect((await sut.get()).version).toBe(1);
    expect(sut.loads).toBe(1);

    champion = { version: 2, artifact: v2 };
    clock += 300_000;
    expect((await sut.get()).version).toBe(2);
    expect(sut.loads).toBe(2);

    up = false;
    clock += 300_000; // central down: the model in hand keeps serving
    expect((await sut.get()).version).toBe(2);
    up = true;
  });

  it('answers 503 when it has no model and central cannot give one', async () => {
    up = false;
    const sut = new CentralModelProvider(
      new CentralClient({ baseUrl: url, apiKey: 'nmly_key_1234', timeoutMs: 5_000 }),
      MODEL_ID,
      300_000,
      createLogger({ service: 'central-model-test', level: 'silent' }),
    );
    const error = await sut.get().catch((e: unknown) => e);
    up = true;
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).status).toBe(503);
  });
});
