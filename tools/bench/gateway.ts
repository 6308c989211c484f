/**
 * The local gateway's cost, measured through the real services (each a built process, as in
 * production, logs at `warn`) on this machine's Postgres and Redis:
 *
 * - 1-row detect through the gateway beside a bare Fastify handler (a process of its own that
 *   parses the same request and returns the same JSON, routed by an extra VirtualService in a
 *   temporary copy of istio/), both also called directly: requests/s at full load, and p50/p99 at
 *   a fixed 1,000 requests/s;
 * - 10,000-row detect through the gateway as JSON and as protobuf (p99);
 * - 1-row calls at a fixed rate while 10,000-row calls run: their p99 and the event-loop delay
 *   of the detector-service and of the gateway meanwhile.
 *
 * Targets (aims, not tests): the gateway keeps ≥ 50% of the bare handler's throughput and p99 <
 * 5 ms at 1,000 requests/s; 10,000 rows p99 < 50 ms as protobuf and < 300 ms as JSON; 1-row p99
 * < 20 ms while large batches run. Prints Markdown tables with the machine and versions.
 *
 *   npx nx run-many -t build && npx tsx tools/bench/gateway.ts [--seconds 10]
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Random } from '@nomaly/detection-core';
import { detectorV1 } from '@nomaly/proto';
import { REPO_ROOT, startService, type RunningService } from '@nomaly/testing';
import { startBenchServices } from './bench-services.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const FEATURES = 20;
const FIXED_RATE = 1_000;

/** A VirtualService for the bare handler with the same timeout and retries as detector-primary. */
const BARE_ROUTE = `# Benchmark only: the bare Fastify handler behind the gateway, routed like detector-primary.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bench-bare-handler
  namespace: nomaly
spec:
  hosts: ['*']
  gateways: [nomaly-gateway]
  http:
    - name: bare-primary
      match: [{ uri: { prefix: /bare/ } }]
      route: [{ destination: { host: bare-handler, port: { number: 80 } } }]
      timeout: 300s
      retries: { attempts: 2, perTryTimeout: 300s, retryOn: 'connect-failure,refused-stream,503' }
`;

/**
 * The bare handler: Fastify parsing the JSON body and answering a fixed detect response, in a
 * process of its own (as the services are) so that it does not share the load generator's loop.
 */
async function startBareHandler(response: string): Promise<{ url: string; stop(): void }> {
  const source = `
    import Fastify from 'fastify';
    const app = Fastify({ logger: false, bodyLimit: 100 * 1024 * 1024 });
    const body = process.env.BARE_RESPONSE;
    app.post('/bare/*', async (request, reply) => {
      reply.type('application/json');
      return body;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    console.log(app.server.address().port);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', BARE_RESPONSE: response },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}`, stop: () => child.kill('SIGTERM') };
}

interface Load {
  readonly url: string;
  readonly body: string | Buffer;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly duration?: number;
}

async function load(run: Load): Promise<autocannon.Result> {
  const options: autocannon.Options = {
    url: run.url,
    method: 'POST',
    headers: run.headers,
    body: run.body,
    connections: run.connections,
  };
  await autocannon({ ...options, duration: 2 });
  return autocannon({ ...options, duration: run.duration ?? seconds });
}

interface Paced {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/**
 * Requests at a steady rate, open loop: one every 1/rate s whatever the answers do (autocannon's
 * fixed rate sends each second's quota in a burst, which measures queueing in the burst).
 * Latency counts from each request's send to the end of its response.
 */
async function paced(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  rate: number,
  durationS: number,
): Promise<Paced> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let errors = 0;
  const send = () => {
    const sentAt = performance.now();
    const call = new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST', headers, agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode !== 200) errors += 1;
          else latencies.push(performance.now() - sentAt);
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    }).finally(() => pending.delete(call));
    pending.add(call);
  };
  const start = performance.now();
  const end = start + durationS * 1000;
  let sent = 0;
  for (let now = start; now < end; now = performance.now()) {
    const due = Math.floor(((now - start) * rate) / 1000) + 1;
    for (; sent < due; sent++) send();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rate: latencies.length / durationS, p50: at(0.5), p99: at(0.99), errors };
}

/** p99 of the event-loop delay since the last scrape (prom-client resets it per scrape), ms. */
async function eventLoopP99(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_eventloop_lag_p99_seconds'));
  return Number(line?.split(' ').at(-1) ?? Number.NaN) * 1000;
}

const require = createRequire(import.meta.url);
const version = (name: string, from = REPO_ROOT) =>
  (require(require.resolve(`${name}/package.json`, { paths: [from] })) as { version: string })
    .version;

const istioCopy = await mkdtemp(join(tmpdir(), 'nomaly-bench-istio-'));
await cp(join(REPO_ROOT, 'istio'), istioCopy, { recursive: true });
await writeFile(join(istioCopy, 'virtual-service-bench-bare.yaml'), BARE_ROUTE);

const services = await startBenchServices();
const { auth, dataset, detector } = services;
let bare: { url: string; stop(): void } | undefined;
let gateway: RunningService | undefined;
let gatewayWithoutTelemetry: RunningService | undefined;

try {
  const { token } = await auth.tokenFor('bench');
  const authorization = { Authorization: `Bearer ${token}` };
  const random = new Random(7);
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      Array.from({ length: FEATURES }, () =>
        i % 100 === 0 ? random.between(-6, 6) : random.normal(),
      ),
    );
  const csv = `${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')}\n${rows(10_000)
    .map((r) => r.map((v) => v.toFixed(6)).join(','))
    .join('\n')}\n`;
  const uploaded = await fetch(`${dataset.baseUrl}/api/v1/datasets?name=train`, {
    method: 'POST',
    headers: { ...authorization, 'Content-Type': 'text/csv' },
    body: csv,
  });
  if (uploaded.status !== 201)
    throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);
  const train = (await uploaded.json()) as { id: string };
  const created = (await (
    await fetch(`${detector.baseUrl}/api/v1/detectors`, {
      method: 'POST',
      headers: { ...authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench', algorithm: 'iforest' }),
    })
  ).json()) as { id: string };
  const trained = await fetch(`${detector.baseUrl}/api/v1/detectors/${created.id}/train`, {
    method: 'POST',
    headers: { ...authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify({ datasetId: train.id, seed: 1 }),
  });
  if (trained.status !== 200) throw new Error(`train: ${trained.status} ${await trained.text()}`);

  const detectPath = `/api/v1/detectors/${created.id}/detect`;
  const oneRow = JSON.stringify({ rows: rows(1) });
  const json = { ...authorization, 'content-type': 'application/json' };
  const sample = await fetch(`${detector.baseUrl}${detectPath}`, {
    method: 'POST',
    headers: json,
    body: oneRow,
  });
  if (sample.status !== 200) throw new Error(`detect: ${sample.status} ${await sample.text()}`);
  bare = await startBareHandler(await sample.text());

  const startGateway = (env: Record<string, string> = {}) =>
    startService(
      'gateway',
      {
        LOG_LEVEL: 'warn',
        ISTIO_CONFIG: istioCopy,
        GATEWAY_UPSTREAMS: `detector-service=${detector.baseUrl},bare-handler=${bare?.url ?? ''}`,
        ...env,
      },
      {
        portVariables: ['PORT', 'STATUS_PORT'],
        readyUrl: (e) => `http://127.0.0.1:${e.STATUS_PORT}/healthz/ready`,
      },
    );
  gateway = await startGateway();
  // The same gateway with OpenTelemetry's standard switch off: what the telemetry costs it.
  gatewayWithoutTelemetry = await startGateway({ OTEL_SDK_DISABLED: 'true' });

  // (a) 1 row: the detector and the bare handler, directly and through the gateway.
  const untraced = 'gateway, OTEL_SDK_DISABLED';
  const targets = [
    ['detector-service', 'direct', `${detector.baseUrl}${detectPath}`],
    ['detector-service', 'gateway', `${gateway.baseUrl}${detectPath}`],
    ['detector-service', untraced, `${gatewayWithoutTelemetry.baseUrl}${detectPath}`],
    ['bare Fastify handler', 'direct', `${bare.url}/bare${detectPath}`],
    ['bare Fastify handler', 'gateway', `${gateway.baseUrl}/bare${detectPath}`],
    ['bare Fastify handler', untraced, `${gatewayWithoutTelemetry.baseUrl}/bare${detectPath}`],
  ] as const;
  const oneRowTable: string[] = [];
  const throughput = new Map<string, number>();
  for (const [name, path, url] of targets) {
    const max = await load({ url, body: oneRow, headers: json, connections: 16 });
    await paced(url, oneRow, json, FIXED_RATE, 2);
    const fixed = await paced(url, oneRow, json, FIXED_RATE, seconds);
    throughput.set(`${name} ${path}`, max.requests.average);
    oneRowTable.push(
      `| ${name} | ${path} | ${Math.round(max.requests.average).toLocaleString('en')} | ${max.latency.p99} | ${Math.round(fixed.rate).toLocaleString('en')} | ${fixed.p50.toFixed(2)} | ${fixed.p99.toFixed(2)} | ${max.non2xx + max.errors + fixed.errors} |`,
    );
  }

  // (b) 10,000 rows through the gateway, JSON and protobuf.
  const big = rows(10_000);
  const bodies = {
    JSON: JSON.stringify({ rows: big }),
    protobuf: Buffer.from(
      detectorV1.DetectRequest.encode({
        featureCount: FEATURES,
        values: big.flat(),
        explain: false,
      }).finish(),
    ),
  };
  const bigHeaders = {
    JSON: json,
    protobuf: {
      ...authorization,
      'content-type': 'application/x-protobuf',
      accept: 'application/x-protobuf',
    },
  };
  const bigTable: string[] = [];
  for (const form of ['JSON', 'protobuf'] as const) {
    for (const [path, base] of [
      ['direct', detector.baseUrl],
      ['gateway', gateway.baseUrl],
    ] as const) {
      const result = await load({
        url: `${base}${detectPath}`,
        body: bodies[form],
        headers: bigHeaders[form],
        connections: 2,
      });
      bigTable.push(
        `| ${form} | ${(bodies[form].length / 1024 / 1024).toFixed(1)} MB | ${path} | ${result.requests.average.toFixed(1)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx + result.errors} |`,
      );
    }
  }

  // (c) 1-row calls at a fixed rate while 10,000-row JSON calls run, all through the gateway.
  const detectorMetrics = `${detector.baseUrl}/metrics`;
  const gatewayMetrics = `http://127.0.0.1:${gateway.env.STATUS_PORT}/stats/prometheus`;
  const mixedTable: string[] = [];
  for (const form of ['JSON', 'protobuf'] as const) {
    await Promise.all([eventLoopP99(detectorMetrics), eventLoopP99(gatewayMetrics)]);
    const [small, large] = await Promise.all([
      paced(`${gateway.baseUrl}${detectPath}`, oneRow, json, 200, seconds),
      autocannon({
        url: `${gateway.baseUrl}${detectPath}`,
        method: 'POST',
        headers: bigHeaders[form],
        body: bodies[form],
        connections: 2,
        duration: seconds,
      }),
    ]);
    const [detectorLag, gatewayLag] = await Promise.all([
      eventLoopP99(detectorMetrics),
      eventLoopP99(gatewayMetrics),
    ]);
    mixedTable.push(
      `| ${form} | ${large.requests.average.toFixed(1)} | ${small.rate.toFixed(0)} | ${small.p50.toFixed(1)} | ${small.p99.toFixed(1)} | ${detectorLag.toFixed(1)} | ${gatewayLag.toFixed(1)} | ${small.errors + large.non2xx + large.errors} |`,
    );
  }

  const ratio = (a: string, b: string) =>
    `${(((throughput.get(a) ?? 0) / (throughput.get(b) ?? 1)) * 100).toFixed(0)}%`;
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ` +
      `undici ${version('undici', join(REPO_ROOT, 'apps', 'gateway'))}, fastify ${version('fastify')}, ` +
      `autocannon ${version('autocannon')}; every service, PostgreSQL, Redis, the gateway and the ` +
      `load generator on this machine; telemetry loaded, not exporting\n`,
  );
  console.log(
    `1-row detect (iforest, 100 trees, ${FEATURES} features): full load with 16 connections (autocannon), then a steady ${FIXED_RATE.toLocaleString('en')} requests/s (open loop, evenly spaced); ${seconds} s each after 2 s warm-up\n`,
  );
  console.log(
    '| handler | path | max requests/s | p99 ms at max | requests/s (fixed) | p50 ms | p99 ms | errors |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const row of oneRowTable) console.log(row);
  console.log(
    `\nbare handler through the gateway / directly: ${ratio('bare Fastify handler gateway', 'bare Fastify handler direct')} ` +
      `(${ratio(`bare Fastify handler ${untraced}`, 'bare Fastify handler direct')} with OTEL_SDK_DISABLED); ` +
      `detect through the gateway / bare handler through the gateway: ${ratio('detector-service gateway', 'bare Fastify handler gateway')}; ` +
      `detect through the gateway / directly: ${ratio('detector-service gateway', 'detector-service direct')}\n`,
  );
  console.log('10,000-row detect, 2 connections\n');
  console.log('| body | size | path | requests/s | p50 ms | p99 ms | errors |');
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const row of bigTable) console.log(row);
  console.log(
    `\n1-row calls at a steady 200 requests/s while 10,000-row calls run (2 connections), through the gateway, ${seconds} s\n`,
  );
  console.log(
    '| large body | large requests/s | 1-row requests/s | 1-row p50 ms | 1-row p99 ms | detector event-loop p99 ms | gateway event-loop p99 ms | errors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of mixedTable) console.log(row);
} finally {
  await gatewayWithoutTelemetry?.stop();
  await gateway?.stop();
  bare?.stop();
  await services.stop();
  await rm(istioCopy, { recursive: true, force: true });
}
