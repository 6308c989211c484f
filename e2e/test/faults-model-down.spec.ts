/**
 * The model-service killed (SIGKILL) under a running stack: the detector keeps scoring with
 * the models it has already loaded, and whatever needs the model-service — loading a model it
 * never used, publishing a newly trained version — fails at once with a clear 503 and a problem
 * code, never a 500 and never a hang. A restart brings it all back.
 *
 * One detector instance (no canary): the model cache is per process, and this is about the
 * cache of the instance that warmed it.
 */
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detect,
  expectDetected,
  expectProblem,
  expectStatus,
  kill,
  sampleRows,
  train,
  trainedDetector,
  uploadDataset,
  type TrainedDetector,
} from '../support/faults.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * After a restart the detector's gRPC channel reconnects with back-off, and the calls it fails
 * meanwhile may open the `api` breaker, which then lets a trial call through after 60 s
 * (ARCHITECTURE.md "Resilience policies"): the bound on recovery covers both.
 */
const RECOVERY_MS = 90_000;

let stack: Stack;
let token: string;
let cached: TrainedDetector;
let uncached: TrainedDetector;

beforeAll(async () => {
  stack = await startStack({ canary: false });
  token = (await stack.tenant('faults-model-down')).token;
  const datasetId = await uploadDataset(stack, token, 'model-down', sampleRows(2_000, 1));
  cached = await trainedDetector(stack, token, 'cached', datasetId);
  uncached = await trainedDetector(stack, token, 'never loaded', datasetId);
});

afterAll(async () => {
  await stack?.stop();
});

describe('model-service down', () => {
  it('keeps detecting with a model the detector has already loaded', async () => {
    expectDetected(await detect(stack, token, cached.detectorId));
    await kill(stack.services['model-service']);
    expect(stack.exited()).toEqual(['model-service']);
    for (let i = 0; i < 5; i++) {
      expectDetected(await detect(stack, token, cached.detectorId));
    }
  });

  it('answers 503 with a problem code for what needs the model-service', async () => {
    expect(stack.exited()).toEqual(['model-service']);
    const unloaded = await detect(stack, token, uncached.detectorId);
    expect(expectProblem(unloaded, [503])).toBe('DEPENDENCY_UNAVAILABLE');
    expect(unloaded.headers.get('retry-after')).toMatch(/^\d+$/);

    const retrained = await train(stack, token, cached.detectorId, cached.datasetId);
    expect(expectProblem(retrained, [503])).toBe('DEPENDENCY_UNAVAILABLE');

    // The model registry's own routes: the gateway finds nothing listening (Envoy's 503).
    const registry = await stack.call('/api/v1/models', { token });
    expect(registry.status, registry.text).toBe(503);
    expect(registry.text).toMatch(/upstream connect error/);

    // Everything else is untouched.
    expectStatus(await stack.call('/api/v1/datasets', { token }), 200);
    expectStatus(await stack.call('/api/v1/detectors', { token }), 200);
    expectDetected(await detect(stack, token, cached.detectorId));
  });

  it(
    'loads models and publishes versions again once the model-service is restarted',
    async () => {
      await stack.restart('model-service');
      await eventually(async () => {
        expectDetected(await detect(stack, token, uncached.detectorId));
      }, RECOVERY_MS);
      const retrained = await train(stack, token, cached.detectorId, cached.datasetId);
      expectStatus(retrained, 200);
      expect(retrained.body.modelVersion.version).toBe(2);
      expect(stack.exited()).toEqual([]);
    },
    RECOVERY_MS + 30_000,
  );
});
