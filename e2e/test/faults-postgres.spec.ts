/**
 * Every Postgres connection of the stack ended (`pg_terminate_backend`, as a failover or an
 * operator does) while clients keep calling through the gateway: no process exits, no call is
 * answered with a 500 (a dropped connection is an outage: 503 at worst), and within 15 s every
 * service answers again, each on a fresh connection.
 */
import { eventually } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detect,
  expectStatus,
  probe,
  terminateBackends,
  trainedDetector,
  waitUntil,
  type TrainedDetector,
} from '../support/faults.js';
import { startStack, type ApiResponse, type Stack, type Tenant } from '../support/stack.js';

const RECOVERY_MS = 15_000;
/** Clients calling every service while the connections are ended. */
const CLIENTS = 4;

let stack: Stack;
let tenant: Tenant;
let detector: TrainedDetector;

beforeAll(async () => {
  stack = await startStack();
  tenant = await stack.tenant('faults-postgres');
  detector = await trainedDetector(stack, tenant.token, 'postgres');
});

afterAll(async () => {
  await stack?.stop();
});

/** One call to every service through the gateway, each of which reads the database. */
async function roundOfCalls(): Promise<Array<[string, ApiResponse]>> {
  const exchanged = await stack.call<{ accessToken: string }>('/api/v1/auth/token', {
    json: { apiKey: tenant.apiKey },
  });
  const token = exchanged.status === 200 ? exchanged.body.accessToken : tenant.token;
  return [
    ['auth token', exchanged],
    ['datasets', await stack.call('/api/v1/datasets', { token })],
    ['models', await stack.call(`/api/v1/models/${detector.modelId}`, { token })],
    ['detectors', await stack.call(`/api/v1/detectors/${detector.detectorId}`, { token })],
    ['detect', await detect(stack, token, detector.detectorId)],
    ['detect (canary)', await detect(stack, token, detector.detectorId, { canary: true })],
  ];
}

describe('Postgres connections terminated', () => {
  it('keeps every process up, never answers 500, and serves again within 15 s', async () => {
    for (const [, response] of await roundOfCalls()) expectStatus(response, 200);

    const seen: Array<[string, number, string]> = [];
    let stopping = false;
    const client = async () => {
      while (!stopping) {
        try {
          for (const [name, response] of await roundOfCalls()) {
            seen.push([name, response.status, response.text.slice(0, 200)]);
          }
        } catch (error) {
          // A connection the gateway dropped: as much a failure as a 500, kept for the verdict.
          seen.push(['a call', 0, String(error)]);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    try {
      await waitUntil(() => expect(seen.length).toBeGreaterThan(CLIENTS * 6), 30_000);
      // Every service holds pooled connections under this load: each process loses at least one.
      const ended = await terminateBackends(stack);
      expect(ended).toBeGreaterThanOrEqual(Object.keys(stack.services).length);
      console.info(`faults-postgres: ended ${ended} connections`);
      await eventually(async () => {
        for (const [name, response] of await roundOfCalls()) {
          expect(response.status, `${name}: ${response.text}`).toBe(200);
        }
        for (const [name, service] of Object.entries(stack.services)) {
          const ready = await probe<{ checks: { database: string } }>(service, '/ready');
          expect(ready.status, name).toBe(200);
          expect(ready.body.checks.database, name).toBe('up');
        }
      }, RECOVERY_MS);
    } finally {
      stopping = true;
      await Promise.all(clients);
    }
    const failures = seen.filter(([, status]) => status !== 200);
    console.info(`faults-postgres: ${failures.length} of ${seen.length} calls failed meanwhile`);
    expect(failures.filter(([, status]) => status !== 503)).toEqual([]);
    expect(stack.exited()).toEqual([]);
  });
});
