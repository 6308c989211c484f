/**
 * Timeouts, retries and failures through the built gateway, against real upstream servers that
 * are slow, flaky, absent or die mid-response.
 */
import { readFile } from 'node:fs/promises';
import { request, type ServerResponse } from 'node:http';
import { eventually, freePort, type RunningService } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echo,
  gatewayStats,
  sample,
  startGatewayProcess,
  startUpstream,
  type Echoed,
  type TestUpstream,
} from './support.js';
import { gatewayYaml, tempConfig, virtualServiceYaml, type TempConfig } from './temp-config.js';

const ROUTES = `
- name: slow
  match: [{ uri: { prefix: /slow } }]
  route: [{ destination: { host: slow } }]
  timeout: 300ms
  retries: { attempts: 0 }
- name: per-try
  match: [{ uri: { prefix: /per-try } }]
  route: [{ destination: { host: per-try } }]
  timeout: 10s
  retries: { attempts: 2, perTryTimeout: 300ms, retryOn: 5xx }
- name: flaky
  match: [{ uri: { prefix: /flaky } }]
  route: [{ destination: { host: flaky } }]
  retries: { attempts: 2, retryOn: '503' }
- name: revive
  match: [{ uri: { prefix: /revive } }]
  route: [{ destination: { host: revive, subset: canary } }]
  retries: { attempts: 40, perTryTimeout: 5s, retryOn: connect-failure }
- name: dead
  match: [{ uri: { prefix: /dead } }]
  route: [{ destination: { host: dead } }]
  retries: { attempts: 2, retryOn: connect-failure }
- name: broken
  match: [{ uri: { prefix: /broken } }]
  route: [{ destination: { host: broken } }]
- name: upload
  match: [{ uri: { prefix: /upload } }]
  route: [{ destination: { host: sink } }]
  timeout: 120s
- name: fault
  match: [{ uri: { prefix: /fault } }]
  fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
  route: [{ destination: { host: sink } }]
- name: moved
  match: [{ uri: { prefix: /moved } }]
  redirect: { uri: /new-home, redirectCode: 308 }
- name: teapot
  match: [{ uri: { exact: /teapot } }]
  directResponse: { status: 200, body: { string: short and stout } }
- name: rewritten
  match: [{ uri: { prefix: /old/ } }]
  rewrite: { uri: /new/ }
  headers:
    request: { set: { x-route: rewritten } }
    response: { add: { x-served-by: gateway } }
  route: [{ destination: { host: sink } }]
`;

const ONE_MIB = 1024 * 1024;
const upstreams: TestUpstream[] = [];
let config: TempConfig;
let gateway: RunningService;
let revivePort: number;
let perTryCalls = 0;
let flakyCalls = 0;

function hold(ms: number) {
  return (_req: unknown, res: ServerResponse) => {
    const timer = setTimeout(() => res.end('late'), ms);
    res.on('close', () => clearTimeout(timer));
  };
}

beforeAll(async () => {
  revivePort = await freePort();
  const deadPort = await freePort();
  const started = await Promise.all([
    startUpstream('slow', hold(5_000)),
    startUpstream('per-try', (req, res, upstream) => {
      perTryCalls += 1;
      if (perTryCalls === 1) hold(5_000)(req, res);
      else echo(req, res, upstream);
    }),
    startUpstream('flaky', (req, res, upstream) => {
      flakyCalls += 1;
      if (flakyCalls === 1) res.writeHead(503).end('warming up');
      else echo(req, res, upstream);
    }),
    startUpstream('broken', (req, res) => {
      const chunked = req.url?.includes('chunked') === true;
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(chunked ? {} : { 'content-length': '100000' }),
      });
      res.write('{"scores":[0.12,0.5');
      // The service dies mid-response.
      setTimeout(() => res.socket?.destroy(), 50);
    }),
    startUpstream('sink'),
  ]);
  upstreams.push(...started);
  const [slow, perTry, flaky, broken, sink] = started;
  config = await tempConfig({
    'gateway.yaml': gatewayYaml(),
    'routes.yaml': virtualServiceYaml(ROUTES),
    'destination-rule.yaml': `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: revive, namespace: nomaly }
spec:
  host: revive
  subsets:
    - { name: stable, labels: { app: revive } }
    - { name: canary, labels: { app: revive } }
`,
  });
  gateway = await startGatewayProcess({
    ISTIO_CONFIG: config.dir,
    GATEWAY_UPSTREAMS: [
      `slow=${slow.url}`,
      `per-try=${perTry.url}`,
      `flaky=${flaky.url}`,
      `revive/canary=http://127.0.0.1:${revivePort}`,
      `dead=http://127.0.0.1:${deadPort}`,
      `broken=${broken.url}`,
      `sink=${sink.url}`,
    ].join(','),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all(upstreams.map((u) => u.close()));
  await config?.remove();
});

const cluster = (host: string, subset = '') =>
  `outbound|80|${subset}|${host}.nomaly.svc.cluster.local`;

describe('timeouts', () => {
  it('answers 504 `upstream request timeout` when the route timeout passes', async () => {
    const response = await fetch(`${gateway.baseUrl}/slow`);
    expect(response.status).toBe(504);
    expect(await response.text()).toBe('upstream request timeout');
    const stats = await gatewayStats(gateway);
    expect(sample(stats, 'istio_requests_total', { response_flags: 'UT' })).toBeGreaterThan(0);
  });

  it('retries a try that passes perTryTimeout and returns the next try', async () => {
    const response = await fetch(`${gateway.baseUrl}/per-try`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echoed).upstream).toBe('per-try');
    // A loaded machine may make the second try slow too; the first one certainly timed out.
    expect(perTryCalls).toBeGreaterThanOrEqual(2);
    const stats = await gatewayStats(gateway);
    expect(
      sample(stats, 'envoy_cluster_upstream_rq_retry_success', {
        cluster_name: cluster('per-try'),
      }),
    ).toBe(1);
  });
});

describe('retries', () => {
  it('retries a 503 listed in retryOn, POST body included', async () => {
    const response = await fetch(`${gateway.baseUrl}/flaky`, {
      method: 'POST',
      body: 'x'.repeat(1000),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ upstream: 'flaky', bytes: 1000 });
    expect(flakyCalls).toBe(2);
  });

  it('retries a connect failure to a dead subset until it comes up, then succeeds', async () => {
    const pending = fetch(`${gateway.baseUrl}/revive/now`, {
      method: 'POST',
      body: '{"rows":[[1]]}',
    });
    // Nothing listens yet: wait until the gateway has failed to connect at least once.
    await eventually(async () => {
      const stats = await gatewayStats(gateway);
      expect(
        sample(stats, 'envoy_cluster_upstream_cx_connect_fail', {
          cluster_name: cluster('revive', 'canary'),
        }),
      ).toBeGreaterThan(0);
    }, 5_000);
    upstreams.push(await startUpstream('revive', echo, revivePort));
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      upstream: 'revive',
      url: '/revive/now',
      bytes: 14,
    });
    const stats = await gatewayStats(gateway);
    expect(
      sample(stats, 'envoy_cluster_upstream_rq_retry_success', {
        cluster_name: cluster('revive', 'canary'),
      }),
    ).toBe(1);
  });

  it("answers Envoy's 503 once retries to a dead endpoint are used up", async () => {
    const response = await fetch(`${gateway.baseUrl}/dead`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
    );
    const stats = await gatewayStats(gateway);
    expect(sample(stats, 'istio_requests_total', { response_flags: 'URX,UF' })).toBe(1);
    expect(
      sample(stats, 'envoy_cluster_upstream_rq_retry', { cluster_name: cluster('dead') }),
    ).toBe(2);
  });
});

describe('failures after the response began', () => {
  for (const variant of ['content-length', 'chunked']) {
    it(`aborts the client connection when the upstream dies mid-body (${variant})`, async () => {
      const response = await fetch(`${gateway.baseUrl}/broken/${variant}`);
      expect(response.status).toBe(200);
      // Never a clean end of a truncated body: reading it fails.
      await expect(response.text()).rejects.toThrow();
    });
  }
});

describe('local replies and rewrites', () => {
  it('injects faults, redirects, answers directly, and rewrites paths and headers', async () => {
    const fault = await fetch(`${gateway.baseUrl}/fault`);
    expect(fault.status).toBe(418);
    expect(await fault.text()).toBe('fault filter abort');

    const moved = await fetch(`${gateway.baseUrl}/moved/x?keep=1`, { redirect: 'manual' });
    expect(moved.status).toBe(308);
    expect(moved.headers.get('location')).toBe(`${gateway.baseUrl}/new-home?keep=1`);

    const teapot = await fetch(`${gateway.baseUrl}/teapot`);
    expect(await teapot.text()).toBe('short and stout');

    const rewritten = await fetch(`${gateway.baseUrl}/old/thing?q=1`);
    const body = (await rewritten.json()) as Echoed;
    expect(body.url).toBe('/new/thing?q=1');
    expect(body.headers['x-route']).toBe('rewritten');
    expect(rewritten.headers.get('x-served-by')).toBe('gateway');
  });
});

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

/** Sends `size` bytes to /upload in 64 KiB writes, honouring back-pressure; returns the answer. */
function upload(size: number): Promise<Echoed> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${gateway.baseUrl}/upload`,
      { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': String(size) } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Echoed));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** Sends `size` bytes to /upload without a length (chunked), in 64 KiB writes. */
function chunkedUpload(size: number): Promise<Echoed> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.baseUrl}/upload`, { method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Echoed));
      res.on('error', reject);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 'b');
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk.subarray(0, size - sent));
    req.end();
  });
}

describe('streaming', () => {
  it('forwards chunked bodies below and above the retry buffer', async () => {
    for (const size of [1_000, 3 * ONE_MIB]) {
      const echoed = await chunkedUpload(size);
      expect(echoed.bytes, String(size)).toBe(size);
      expect(echoed.headers['transfer-encoding']).toBe(size > ONE_MIB ? 'chunked' : undefined);
    }
  });

  it('streams a 100 MB upload without holding it in memory', async () => {
    // A first upload warms up code and buffers: the measure is of the 100 MB one alone.
    expect(await upload(16 * ONE_MIB)).toMatchObject({ bytes: 16 * ONE_MIB });
    const size = 100 * ONE_MIB;
    const pid = gateway.process.pid as number;
    const before = await residentBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      residentBytes(pid).then(
        (rss) => (peak = Math.max(peak, rss)),
        () => undefined,
      );
    }, 20);
    try {
      expect(await upload(size)).toMatchObject({ upstream: 'sink', bytes: size });
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before).toBeLessThan(size / 4);
  }, 120_000);
});
