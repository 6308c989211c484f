/**
 * kill -9 of the stable detector-service while detect calls of 10,000 rows are in flight
 * through the gateway: every client gets either a whole answer (a score for every row) or a
 * clear failure (502/503/504, or a dropped connection) — never a 200 carrying part of the
 * scores. The other services keep serving meanwhile, and a restart brings detection back.
 */
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detect,
  detectBody,
  CLIENT_DEADLINE_MS,
  detectOutcome,
  expectCompleteScores,
  expectDetected,
  expectStatus,
  kill,
  OUTAGE_STATUSES,
  sampleRows,
  trainedDetector,
  waitUntil,
  type DetectOutcome,
  type TrainedDetector,
} from '../support/faults.js';
import { startStack, type Stack, type Tenant } from '../support/stack.js';

const ROWS = 10_000;
/** Concurrent clients, each sending its next call as soon as the last is answered. */
const CLIENTS = 12;
/** Calls each client sends after the kill, so a failure on a reused connection shows too. */
const CALLS_AFTER_KILL = 4;

let stack: Stack;
let tenant: Tenant;
let detector: TrainedDetector;

beforeAll(async () => {
  stack = await startStack();
  tenant = await stack.tenant('faults-kill');
  detector = await trainedDetector(stack, tenant.token, 'kill');
});

afterAll(async () => {
  await stack?.stop();
});

interface Observed {
  readonly outcome: DetectOutcome;
  /** Sent before the kill and answered after it: the call was in flight when the process died. */
  readonly inFlightAtKill: boolean;
}

/** How an outcome is counted in the failure message: its status, or how the call broke. */
function label(outcome: DetectOutcome): string {
  switch (outcome.kind) {
    case 'answer':
      return String(outcome.status);
    case 'aborted':
      return outcome.phase === 'headers' ? 'aborted before headers' : 'aborted mid-body';
    case 'hung':
      return `no answer in ${outcome.deadlineMs / 1000} s`;
  }
}

describe('kill -9 of the stable detector-service mid-request', () => {
  it(
    'answers every detect call whole or with a clear failure, never with partial scores',
    // Bounded by the clients' deadlines: a stuck call costs CLIENT_DEADLINE_MS, not a hang.
    { timeout: 120_000 + CALLS_AFTER_KILL * CLIENT_DEADLINE_MS },
    async () => {
      const body = detectBody(sampleRows(ROWS, 2));
      const observed: Observed[] = [];
      let killed = false;
      let stopping = false;
      const client = async () => {
        // Calls that meet the dead upstream, again and again on the same keep-alive
        // connections, are part of the outcome too.
        for (let sentAfterKill = 0; !stopping && sentAfterKill < CALLS_AFTER_KILL;) {
          const sentBeforeKill = !killed;
          if (!sentBeforeKill) sentAfterKill++;
          const outcome = await detectOutcome(stack, tenant.token, detector.detectorId, body);
          observed.push({ outcome, inFlightAtKill: sentBeforeKill && killed });
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);
      try {
        // Kill once the load is steady: every client has had an answer, so each has a call
        // queued or being scored at the detector.
        await waitUntil(() => expect(observed.length).toBeGreaterThanOrEqual(CLIENTS), 60_000);
      } catch (error) {
        stopping = true;
        await Promise.all(clients);
        throw error;
      }
      killed = true;
      await kill(stack.services['detector-service']);
      await Promise.all(clients);

      const tally: Record<string, number> = {};
      for (const { outcome } of observed) {
        tally[label(outcome)] = (tally[label(outcome)] ?? 0) + 1;
      }
      const summary = JSON.stringify(tally);
      console.info(`faults-kill: detect outcomes around the kill: ${summary}`);
      // A client left without an answer is the worst outcome of all: fail on it first, by name.
      expect(tally[label({ kind: 'hung', deadlineMs: CLIENT_DEADLINE_MS })] ?? 0, summary).toBe(0);
      for (const { outcome } of observed) {
        if (outcome.kind !== 'answer') continue;
        if (outcome.status === 200) {
          expect(outcome.contentType).toMatch(/application\/json/);
          expectCompleteScores(outcome.text, ROWS);
        } else {
          expect(OUTAGE_STATUSES, `${outcome.status} ${outcome.text.slice(0, 300)}`).toContain(
            outcome.status,
          );
        }
      }
      const inFlight = observed.filter((o) => o.inFlightAtKill);
      const failedInFlight = inFlight.filter(
        ({ outcome }) => outcome.kind !== 'answer' || outcome.status !== 200,
      );
      // The kill must have hit calls mid-request, or this test proved nothing.
      expect(failedInFlight.length, summary).toBeGreaterThan(0);
      expect(tally['200'] ?? 0, summary).toBeGreaterThanOrEqual(CLIENTS);
      expect(stack.exited()).toEqual(['detector-service']);
    },
  );

  it('keeps tokens, datasets, models and the canary serving while the stable detector is down', async () => {
    expect(stack.exited()).toEqual(['detector-service']);
    const exchanged = await stack.call<{ accessToken: string }>('/api/v1/auth/token', {
      json: { apiKey: tenant.apiKey },
    });
    expectStatus(exchanged, 200);
    const token = exchanged.body.accessToken;
    const datasets = await stack.call<{ items: Array<{ id: string }> }>('/api/v1/datasets', {
      token,
    });
    expectStatus(datasets, 200);
    expect(datasets.body.items.map((d) => d.id)).toContain(detector.datasetId);
    const models = await stack.call<{ items: Array<{ id: string }> }>('/api/v1/models', { token });
    expectStatus(models, 200);
    expect(models.body.items.map((m) => m.id)).toContain(detector.modelId);
    // The canary instance is another process: it scores while the stable one is gone.
    expectDetected(await detect(stack, token, detector.detectorId, { canary: true }));

    const down = await stack.call('/api/v1/detectors', { token });
    expect(down.status, down.text).toBe(503);
    expect(down.text).toMatch(/upstream connect error|no healthy upstream/);
  });

  it('detects again once the killed service is restarted, and only it ever exited', async () => {
    await stack.restart('detector-service');
    await eventually(async () => {
      expectDetected(await detect(stack, tenant.token, detector.detectorId));
    }, 30_000);
    const whole = await detectOutcome(
      stack,
      tenant.token,
      detector.detectorId,
      detectBody(sampleRows(ROWS, 4)),
    );
    expect(whole).toMatchObject({ kind: 'answer', status: 200 });
    if (whole.kind === 'answer') expectCompleteScores(whole.text, ROWS);
    expect(stack.exited()).toEqual([]);
  });
});
