/**
 * Canary routing by the repository's own istio/ VirtualService, through the gateway: at rest
 * every request reaches the stable detector-service, the `canary: true` header reaches the
 * canary instance, and rewritten weights split traffic in proportion. Each instance counts what
 * it served in its own `/metrics` (`http_requests_total`), so the split is measured where the
 * requests land, not where the gateway says it sent them.
 */
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue, DETECTOR_PRIMARY_ROUTE, setRouteWeights } from '../support/api.js';
import { startStack, type Stack } from '../support/stack.js';

const PATH = '/api/v1/detectors/algorithms';
const SAMPLE = { method: 'GET', route: PATH, status: '200' } as const;
/** Requests in flight at once: enough to be quick, few enough for a 2-core machine. */
const CONCURRENCY = 8;

let stack: Stack;
let token: string;

interface Split {
  stable: number;
  canary: number;
}

async function served(): Promise<Split> {
  const read = async (name: 'detector-service' | 'detector-canary'): Promise<number> => {
    const response = await fetch(`${stack.services[name].baseUrl}/metrics`);
    expect(response.status).toBe(200);
    return counterValue(await response.text(), 'http_requests_total', SAMPLE);
  };
  const [stable, canary] = await Promise.all([read('detector-service'), read('detector-canary')]);
  return { stable, canary };
}

/** Sends `count` requests through the gateway and says where they were served. */
async function send(count: number, headers: Record<string, string> = {}): Promise<Split> {
  const before = await served();
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const response = await stack.call(PATH, { token, headers });
      expect(response.status, response.text).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  // An instance counts a request once its response is written, which the client may see a
  // moment earlier: wait until every request is accounted for, by one instance or the other.
  return eventually(async () => {
    const after = await served();
    const split = { stable: after.stable - before.stable, canary: after.canary - before.canary };
    expect(split.stable + split.canary).toBe(count);
    return split;
  }, 10_000);
}

beforeAll(async () => {
  stack = await startStack();
  token = (await stack.tenant('acme')).token;
});

afterAll(async () => {
  await stack?.stop();
});

describe('canary routing of the detector-service', () => {
  it('sends every request to the stable instance with the default weights (100/0)', async () => {
    expect(await send(60)).toEqual({ stable: 60, canary: 0 });
  });

  it('sends every request with the header `canary: true` to the canary instance', async () => {
    expect(await send(60, { canary: 'true' })).toEqual({ stable: 0, canary: 60 });
  });

  it('splits traffic by rewritten weights (70/30) within a 5-sigma binomial bound, then back', async () => {
    setRouteWeights(stack.istioDir, DETECTOR_PRIMARY_ROUTE, { stable: 70, canary: 30 });
    // The old weights send nothing to the canary: the first request that lands there shows
    // the gateway has reloaded the file.
    await eventually(async () => {
      expect((await send(10)).canary).toBeGreaterThan(0);
    }, 30_000);

    const n = 600;
    const p = 0.3;
    const split = await send(n);
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(split.canary - n * p), JSON.stringify(split)).toBeLessThanOrEqual(5 * sigma);
    expect(split.stable + split.canary).toBe(n);

    setRouteWeights(stack.istioDir, DETECTOR_PRIMARY_ROUTE, { stable: 100, canary: 0 });
    // Under 70/30, 50 requests in a row all reach stable with probability 0.7^50 ≈ 2e-8: once
    // they do, the reload has happened.
    await eventually(async () => {
      expect((await send(50)).canary).toBe(0);
    }, 30_000);
    expect(await send(200)).toEqual({ stable: 200, canary: 0 });
    // Some 900 requests and two reloads: more than the default minute on a busy 2-core machine.
  }, 180_000);
});
