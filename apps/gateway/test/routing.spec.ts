/**
 * The built gateway routing the repository's istio/ to real upstream servers: the same files a
 * cluster applies, served locally.
 */
import { join } from 'node:path';
import type { RunningService } from '@nomaly/testing';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ISTIO_DIR } from '../src/paths.js';
import {
  gatewayStats,
  rawRequest,
  sample,
  startGatewayProcess,
  startUpstream,
  type Echoed,
  type TestUpstream,
} from './support.js';

let upstreams: Record<'auth' | 'dataset' | 'stable' | 'canary', TestUpstream>;
let gateway: RunningService;

beforeAll(async () => {
  const [auth, dataset, stable, canary] = await Promise.all(
    ['auth', 'dataset', 'detector-stable', 'detector-canary'].map((name) => startUpstream(name)),
  );
  upstreams = { auth: auth!, dataset: dataset!, stable: stable!, canary: canary! };
  gateway = await startGatewayProcess({
    // model-service deliberately has no local endpoint.
    GATEWAY_UPSTREAMS: [
      `auth-service=${upstreams.auth.url}`,
      `dataset-service.nomaly.svc.cluster.local=${upstreams.dataset.url}`,
      `detector-service=${upstreams.stable.url}`,
      `detector-service/canary=${upstreams.canary.url}`,
    ].join(','),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all(Object.values(upstreams ?? {}).map((u) => u.close()));
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.baseUrl}${path}`, { headers });
  const text = await response.text();
  return { response, text, json: () => JSON.parse(text) as Echoed };
}

describe('gateway routing by istio/', () => {
  it('routes each public prefix to its service, path and query intact', async () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/auth/token', 'auth'],
      ['/api/v1/datasets?name=n&limit=5', 'dataset'],
      ['/api/v1/detectors/algorithms', 'detector-stable'],
      ['/api/v1/results/edge?cursor=abc', 'detector-stable'],
      ['/api/v1/jobs/42', 'detector-stable'],
    ];
    for (const [path, upstream] of cases) {
      const { response, json } = await get(path);
      expect(response.status, path).toBe(200);
      expect(json(), path).toMatchObject({ upstream, url: path });
    }
  });

  it('sends `canary: true` to the canary subset, and other traffic to stable', async () => {
    expect((await get('/api/v1/detectors', { canary: 'true' })).json().upstream).toBe(
      'detector-canary',
    );
    expect((await get('/api/v1/detectors', { canary: 'false' })).json().upstream).toBe(
      'detector-stable',
    );
    // A host entry without a subset serves every subset of that host.
    expect((await get('/api/v1/auth/keys', { canary: 'true' })).json().upstream).toBe('auth');
  });

  it('answers 404 where no route matches and 503 where a service has no endpoint', async () => {
    const missing = await get('/static/index.html');
    expect(missing.response.status).toBe(404);
    expect(missing.text).toBe('');
    const unserved = await get('/api/v1/models');
    expect(unserved.response.status).toBe(503);
    expect(unserved.text).toBe('no healthy upstream');
  });

  it('adds forwarding headers, keeps trace context and strips hop-by-hop headers', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await rawRequest(`${gateway.baseUrl}/api/v1/jobs/1`, {
      headers: {
        traceparent,
        'x-forwarded-for': '203.0.113.7',
        connection: 'keep-alive, x-hop',
        'x-hop': 'must not pass',
      },
    });
    const seen = (JSON.parse(response.text) as Echoed).headers;
    expect(seen.traceparent).toBe(traceparent);
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-hop']).toBeUndefined();
    expect(seen.host).toBe(new URL(gateway.baseUrl).host);
    // The upstream's own hop-by-hop header (named in its Connection) stops here too.
    expect(response.headers['x-private']).toBeUndefined();
    const kept = (await get('/api/v1/jobs/1', { 'x-request-id': 'req-1' })).json();
    expect(kept.headers['x-request-id']).toBe('req-1');
  });

  it('routes the normalized path, as Envoy does with dot segments', async () => {
    const { text } = await rawRequest(`${gateway.baseUrl}/api/v1/auth/../datasets?x=1`);
    expect(JSON.parse(text)).toMatchObject({ upstream: 'dataset', url: '/api/v1/datasets?x=1' });
  });

  it('counts requests under Istio metric names and labels', async () => {
    await get('/api/v1/jobs/7');
    const stats = await gatewayStats(gateway);
    const served = sample(stats, 'istio_requests_total', {
      destination_service: 'detector-service.nomaly.svc.cluster.local',
      destination_service_name: 'detector-service',
      destination_version: 'stable',
      response_code: '200',
      request_protocol: 'http',
    });
    expect(served).toBeGreaterThanOrEqual(1);
    expect(
      sample(stats, 'istio_requests_total', { response_code: '404', response_flags: 'NR' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(stats, 'istio_requests_total', { response_code: '503', response_flags: 'UH' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(stats, 'istio_request_duration_milliseconds_count', {
        destination_service_name: 'detector-service',
        response_code: '200',
      }),
    ).toBe(served);
    expect(stats).toMatch(/istio_request_duration_milliseconds_bucket\{[^}]*le="0.5"/);
  });
});

describe('weighted routing', () => {
  it('splits detector-primary 90/10 within a binomial 5-sigma band over 2,000 requests', async () => {
    const split = await startGatewayProcess({
      ISTIO_CONFIG: `${DEFAULT_ISTIO_DIR},${join(DEFAULT_ISTIO_DIR, 'examples', 'virtual-service-detector-90-10.yaml')}`,
      GATEWAY_UPSTREAMS: `detector-service=${upstreams.stable.url},detector-service/canary=${upstreams.canary.url}`,
    });
    const client = new Pool(split.baseUrl, { connections: 20 });
    try {
      const total = 2_000;
      let canary = 0;
      const worker = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const response = await client.request({
            path: '/api/v1/detectors/d/detect',
            method: 'POST',
            body: '{"rows":[[1,2]]}',
            headers: { 'content-type': 'application/json' },
          });
          const body = (await response.body.json()) as Echoed;
          if (body.upstream === 'detector-canary') canary += 1;
        }
      };
      await Promise.all(Array.from({ length: 20 }, () => worker(total / 20)));
      const mean = total * 0.1;
      const sigma = Math.sqrt(total * 0.1 * 0.9);
      expect(canary).toBeGreaterThan(mean - 5 * sigma);
      expect(canary).toBeLessThan(mean + 5 * sigma);
    } finally {
      await client.close();
      await split.stop();
    }
  }, 180_000);
});
