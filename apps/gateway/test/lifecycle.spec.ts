/**
 * The gateway's life: routing edits picked up without a restart (one routing table, two
 * runtimes), bad edits refused while the old table serves, bad boots refused with exit 78, and a
 * graceful stop.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, type RunningService } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, startUpstream, type Echoed, type TestUpstream } from './support.js';
import { gatewayYaml, tempConfig, virtualServiceYaml, type TempConfig } from './temp-config.js';

const VIRTUAL_SERVICE = 'virtual-service-nomaly.yaml';
let stable: TestUpstream;
let canary: TestUpstream;

beforeAll(async () => {
  [stable, canary] = await Promise.all([
    startUpstream('detector-stable'),
    startUpstream('detector-canary', (req, res, upstream) => {
      // Slow enough for a shutdown to begin while a request is in flight.
      if (req.url?.startsWith('/api/v1/jobs/slow') === true) {
        setTimeout(() => res.end('{"upstream":"detector-canary","url":"slow"}'), 1_000);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: upstream.name, url: req.url }));
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([stable?.close(), canary?.close()]);
});

const upstreamEnv = () => ({
  GATEWAY_UPSTREAMS: `detector-service=${stable.url},detector-service/canary=${canary.url}`,
});

async function whoServes(gateway: RunningService): Promise<string> {
  const response = await fetch(`${gateway.baseUrl}/api/v1/detectors`);
  return ((await response.json()) as Echoed).upstream;
}

describe('hot reload of a copy of istio/', () => {
  let config: TempConfig;
  let gateway: RunningService;
  let original: string;

  beforeAll(async () => {
    config = await tempConfig({}, { copyRepositoryIstio: true });
    original = await readFile(join(config.dir, VIRTUAL_SERVICE), 'utf8');
    gateway = await startGatewayProcess({ ISTIO_CONFIG: config.dir, ...upstreamEnv() });
  });

  afterAll(async () => {
    await gateway?.stop();
    await config?.remove();
  });

  it('changes routing when the VirtualService is edited, without a restart', async () => {
    expect(await whoServes(gateway)).toBe('detector-stable');
    const pid = gateway.process.pid;
    // What Argo Rollouts does at the end of a canary: all detector traffic to the canary.
    const promoted = original.replace(
      /(name: detector-primary[\s\S]*?subset: stable[\s\S]*?weight: )100([\s\S]*?subset: canary[\s\S]*?weight: )0/,
      '$10$2100',
    );
    expect(promoted).not.toBe(original);
    await config.write(VIRTUAL_SERVICE, promoted);
    await eventually(async () => expect(await whoServes(gateway)).toBe('detector-canary'), 10_000);
    expect(gateway.process.pid).toBe(pid);
    expect(gateway.process.exitCode).toBeNull();
    expect(gateway.logs.some((line) => line.msg === 'routing table reloaded')).toBe(true);
  });

  it('keeps the previous table when an edit is invalid, and says why', async () => {
    const served = await whoServes(gateway);
    await config.write(
      VIRTUAL_SERVICE,
      original.replace('weight: 100', 'wieght: 100').replace(/weight: 0/g, 'weight: 100'),
    );
    const refusal = await eventually(() => {
      const line = gateway.logs.find(
        (l) => l.msg === 'routing config not reloaded: keeping the previous table',
      );
      expect(line).toBeDefined();
      return Promise.resolve(line as { problems: string[] });
    }, 10_000);
    expect(refusal.problems.join('\n')).toMatch(
      /virtual-service-nomaly\.yaml: VirtualService nomaly\/nomaly: spec\.http\[1\]\.route\[0\]\.wieght: unknown field/,
    );
    for (let i = 0; i < 20; i++) expect(await whoServes(gateway)).toBe(served);
  });

  it('reloads on SIGHUP too', async () => {
    const refusals = () =>
      gateway.logs.filter((l) => (l as { reason?: string }).reason === 'SIGHUP').length;
    const before = refusals();
    gateway.process.kill('SIGHUP');
    await eventually(() => Promise.resolve(expect(refusals()).toBe(before + 1)), 10_000);
    await config.write(VIRTUAL_SERVICE, original);
    await eventually(async () => expect(await whoServes(gateway)).toBe('detector-stable'), 10_000);
  });
});

describe('boot', () => {
  it('exits 78 naming a bad variable', async () => {
    await expect(
      startGatewayProcess({ ...upstreamEnv(), STATUS_PORT: 'status', GATEWAY_UPSTREAMS: 'x' }),
    ).rejects.toThrow(
      /exited with 78[\s\S]*STATUS_PORT must be an integer[\s\S]*GATEWAY_UPSTREAMS "x"/,
    );
  });

  it('exits 78 naming file, resource and path of an invalid routing config', async () => {
    const config = await tempConfig({
      'gateway.yaml': gatewayYaml(),
      'routes.yaml': virtualServiceYaml('- route: [{ destination: { host: a, subsett: b } }]'),
    });
    try {
      await expect(startGatewayProcess({ ISTIO_CONFIG: config.dir })).rejects.toThrow(
        /exited with 78[\s\S]*routes\.yaml: VirtualService nomaly\/routes: spec\.http\[0\]\.route\[0\]\.destination\.subsett: unknown field/,
      );
    } finally {
      await config.remove();
    }
  });
});

describe('shutdown', () => {
  it('finishes in-flight requests on SIGTERM and exits 0', async () => {
    const gateway = await startGatewayProcess(upstreamEnv());
    const inFlight = fetch(`${gateway.baseUrl}/api/v1/jobs/slow`, { headers: { canary: 'true' } });
    await eventually(
      () =>
        Promise.resolve(expect(canary.seen.some((s) => s.url === '/api/v1/jobs/slow')).toBe(true)),
      10_000,
    );
    const exited = gateway.stop();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ upstream: 'detector-canary', url: 'slow' });
    expect(await exited).toBe(0);
    await expect(fetch(`${gateway.baseUrl}/api/v1/jobs/1`)).rejects.toThrow();
  });
});
