/**
 * A hung model-service — SIGSTOP: its sockets stay open and accept, nothing answers, as with a
 * peer stuck in a long GC or a dead node behind a live connection. The detector's calls to it
 * fail at the detector's own deadlines with a clear 503/504, its `api` circuit breaker opens
 * (`nomaly_circuit_breaker_state` = 1), calls fail fast while it is open, and after SIGCONT the
 * breakers close and detection of a model loaded from the model-service works again. Detection
 * with a model already in the detector's cache is not held up by the hung peer at all.
 *
 * One detector instance (no canary): breakers and the model cache are per process.
 */
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  breakerStates,
  detect,
  expectDetected,
  expectProblem,
  probe,
  sampleRows,
  signal,
  trainedDetector,
  uploadDataset,
  type TrainedDetector,
} from '../support/faults.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * The `api` preset opens after 5 consecutive failures (ARCHITECTURE.md "Resilience
 * policies"): this many calls to the hung peer at once reach it at the first deadline instead
 * of after five deadlines in a row.
 */
const CONCURRENT_CALLS = 6;
/**
 * An open `api` breaker lets a trial call through after 60 s, and a trial that meets the hung
 * peer opens it for another 60 s: after SIGCONT both breakers (alias and fetch) close within
 * two such periods plus one call.
 */
const RECOVERY_MS = 150_000;

let stack: Stack;
let token: string;
let cached: TrainedDetector;
let uncached: TrainedDetector;

beforeAll(async () => {
  stack = await startStack({ canary: false });
  token = (await stack.tenant('faults-slow-model')).token;
  const datasetId = await uploadDataset(stack, token, 'slow-model', sampleRows(2_000, 1));
  cached = await trainedDetector(stack, token, 'cached', datasetId);
  uncached = await trainedDetector(stack, token, 'never loaded', datasetId);
});

afterAll(async () => {
  await stack?.stop();
});

describe('a hung model-service', () => {
  it('fails at the deadline, opens the breaker, fails fast while open, and recovers after SIGCONT', async () => {
    const detector = stack.services['detector-service'];
    const model = stack.services['model-service'];
    expectDetected(await detect(stack, token, cached.detectorId));
    expect(await breakerStates(detector)).toMatchObject({
      'model.fetch': 0,
      'model.resolve-alias': 0,
    });

    signal(model, 'SIGSTOP');
    try {
      const hung = Array.from({ length: CONCURRENT_CALLS }, () =>
        detect(stack, token, uncached.detectorId),
      );
      // The model already loaded scores at once: the hung peer holds up only what needs it.
      expectDetected(await detect(stack, token, cached.detectorId));
      for (const response of await Promise.all(hung)) {
        expect(['DEPENDENCY_UNAVAILABLE', 'TIMEOUT']).toContain(
          expectProblem(response, [503, 504]),
        );
      }
      await eventually(async () => {
        expect((await breakerStates(detector))['model.fetch']).toBe(1);
      }, 30_000);

      const fast = await detect(stack, token, uncached.detectorId);
      expect(expectProblem(fast, [503])).toBe('DEPENDENCY_UNAVAILABLE');
      expect((await breakerStates(detector))['model.fetch']).toBe(1);
      const status = await probe<{ breakers: Array<{ operation: string; state: string }> }>(
        detector,
        '/status',
      );
      expect(status.body.breakers).toContainEqual(
        expect.objectContaining({ operation: 'model.fetch', state: 'open' }),
      );
    } finally {
      signal(model, 'SIGCONT');
    }

    await eventually(async () => {
      expectDetected(await detect(stack, token, uncached.detectorId));
      expect(await breakerStates(detector)).toMatchObject({
        'model.fetch': 0,
        'model.resolve-alias': 0,
      });
    }, RECOVERY_MS);
    expect(stack.exited()).toEqual([]);
  }, 400_000);
});
