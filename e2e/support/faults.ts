/**
 * What the fault suites share: a trained detector made through the gateway, detect calls whose
 * every outcome is kept (an answer, a connection broken before or during the body, or no answer
 * at all), the breaker states a service exports, and the faults
 * themselves (a process signalled, every Postgres backend of the stack's database terminated).
 */
import { once } from 'node:events';
import { ADMIN_DATABASE_URL, eventually, sql, type RunningService } from '@nomaly/testing';
import { expect } from 'vitest';
import type { ApiResponse, Stack } from './stack.js';

/** `eventually` for a condition on state the test itself keeps (counters of its own clients). */
export async function waitUntil(check: () => void, withinMs: number): Promise<void> {
  await eventually(() => Promise.resolve().then(check), withinMs);
}

/** The statuses of a clear failure while a peer is down, killed or hung (a 500 is a bug). */
export const OUTAGE_STATUSES: readonly number[] = [502, 503, 504];

/** mulberry32: a small seeded generator, so every run uploads and scores the same numbers. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The feature columns of every dataset the fault suites upload. */
const FEATURES = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'] as const;

/** `count` rows of standard normal values (Box–Muller), one in 50 scattered wide (anomalies). */
export function sampleRows(count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, (_, i) =>
    FEATURES.map(() => (i % 50 === 0 ? (random() - 0.5) * 16 : normal())),
  );
}

/** Asserts a status, with the body in the message when it differs. */
export function expectStatus(response: ApiResponse, status: number): void {
  expect(response.status, `${response.status} ${response.text}`).toBe(status);
}

/** Asserts an RFC 9457 problem answer and returns its stable `code`. */
export function expectProblem(response: ApiResponse, statuses: readonly number[]): string {
  expect(statuses, `${response.status} ${response.text}`).toContain(response.status);
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const { code } = response.body as { code?: unknown };
  expect(typeof code, response.text).toBe('string');
  return code as string;
}

export interface TrainedDetector {
  readonly detectorId: string;
  readonly datasetId: string;
  readonly modelId: string;
}

/** Uploads `rows` as CSV through the gateway and returns the dataset id. */
export async function uploadDataset(
  stack: Stack,
  token: string,
  name: string,
  rows: readonly number[][],
): Promise<string> {
  const csv = [FEATURES.join(','), ...rows.map((row) => row.join(','))].join('\n');
  const uploaded = await stack.call<{ id: string; rows: number }>(
    `/api/v1/datasets?name=${encodeURIComponent(name)}`,
    { method: 'POST', token, body: csv, headers: { 'Content-Type': 'text/csv' } },
  );
  expectStatus(uploaded, 201);
  expect(uploaded.body.rows).toBe(rows.length);
  return uploaded.body.id;
}

/** Creates a detector through the gateway and returns its id. */
async function createDetector(
  stack: Stack,
  token: string,
  name: string,
  algorithm = 'iforest',
): Promise<string> {
  const created = await stack.call<{ id: string }>('/api/v1/detectors', {
    token,
    json: { name, algorithm, parameters: algorithm === 'iforest' ? { nEstimators: 50 } : {} },
  });
  expectStatus(created, 201);
  return created.body.id;
}

/** Trains a detector within the request (the datasets here are far below the job threshold). */
export async function train(
  stack: Stack,
  token: string,
  detectorId: string,
  datasetId: string,
): Promise<ApiResponse<{ modelVersion: { modelId: string; version: number } }>> {
  return stack.call(`/api/v1/detectors/${detectorId}/train`, {
    token,
    json: { datasetId, seed: 7 },
  });
}

/** A dataset of 2,000 rows and an isolation forest trained on it, all through the gateway. */
export async function trainedDetector(
  stack: Stack,
  token: string,
  name: string,
  datasetId?: string,
): Promise<TrainedDetector> {
  const dataset = datasetId ?? (await uploadDataset(stack, token, name, sampleRows(2_000, 1)));
  const detectorId = await createDetector(stack, token, name);
  const trained = await train(stack, token, detectorId, dataset);
  expectStatus(trained, 200);
  return { detectorId, datasetId: dataset, modelId: trained.body.modelVersion.modelId };
}

/** A small batch scored through the gateway (`canary: true` reaches the canary instance). */
export const SMALL_BATCH = sampleRows(100, 3);

/** Scores SMALL_BATCH with a detector through the gateway. */
export async function detect(
  stack: Stack,
  token: string,
  detectorId: string,
  options: { canary?: boolean } = {},
): Promise<ApiResponse<{ scores: number[]; labels: number[] }>> {
  return stack.call(`/api/v1/detectors/${detectorId}/detect`, {
    token,
    json: { rows: SMALL_BATCH },
    ...(options.canary === true ? { headers: { canary: 'true' } } : {}),
  });
}

/** Asserts a 200 detect answer with a complete, finite score and label for every row. */
export function expectDetected(response: ApiResponse, rows = SMALL_BATCH.length): void {
  expectStatus(response, 200);
  expectCompleteScores(response.text, rows);
}

/**
 * One detect call as a client sees it: an answer (status and the whole body), the connection
 * failing — before any header (`headers`) or after them, while the body streamed (`body`) — or
 * no answer at all within the client's deadline (`hung`).
 */
export type DetectOutcome =
  | { kind: 'answer'; status: number; contentType: string; text: string }
  | { kind: 'aborted'; phase: 'headers' | 'body'; status?: number; reason: string }
  | { kind: 'hung'; deadlineMs: number };

/**
 * A client's deadline for one detect call. Scoring 10,000 rows takes well under a second here,
 * a few with a dozen at once on two cores; a call unanswered after this long is stuck, and a
 * stuck call must fail the test as itself rather than as the test's own timeout.
 */
export const CLIENT_DEADLINE_MS = 30_000;

/** Sends a JSON body to `detect` through the gateway (own fetch, to see where a call breaks). */
export async function detectOutcome(
  stack: Stack,
  token: string,
  detectorId: string,
  body: string,
): Promise<DetectOutcome> {
  const signal = AbortSignal.timeout(CLIENT_DEADLINE_MS);
  const hung = (error: unknown) => signal.aborted && (error as Error).name === 'TimeoutError';
  let response: Response;
  try {
    response = await fetch(`${stack.gatewayUrl}/api/v1/detectors/${detectorId}/detect`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body,
      signal,
    });
  } catch (error) {
    if (hung(error)) return { kind: 'hung', deadlineMs: CLIENT_DEADLINE_MS };
    return { kind: 'aborted', phase: 'headers', reason: reasonOf(error) };
  }
  try {
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    return { kind: 'answer', status: response.status, contentType, text };
  } catch (error) {
    if (hung(error)) return { kind: 'hung', deadlineMs: CLIENT_DEADLINE_MS };
    return { kind: 'aborted', phase: 'body', status: response.status, reason: reasonOf(error) };
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `${(error as Error).message}${cause === undefined ? '' : ` (${cause.code ?? cause.message})`}`;
}

/**
 * The body of `{"rows": …}`, encoded once: a 10,000-row batch is over a megabyte of JSON, and
 * encoding it per call would load the test runner, not the services.
 */
export function detectBody(rows: readonly number[][]): string {
  return JSON.stringify({ rows });
}

/** Asserts a complete detect answer: one finite score and a 0/1 label per row sent. */
export function expectCompleteScores(text: string, rows: number): void {
  const body = JSON.parse(text) as { scores?: unknown; labels?: unknown };
  expect(Array.isArray(body.scores), text.slice(0, 200)).toBe(true);
  const scores = body.scores as unknown[];
  const labels = body.labels as unknown[];
  expect(scores).toHaveLength(rows);
  expect(labels).toHaveLength(rows);
  expect(scores.every((s) => typeof s === 'number' && Number.isFinite(s))).toBe(true);
  expect(labels.every((l) => l === 0 || l === 1)).toBe(true);
}

/**
 * `nomaly_circuit_breaker_state` of one service by operation (0 closed, 1 open, 2 half-open),
 * read from its `/metrics` as Prometheus scrapes it: per pod, not through the ingress.
 */
export async function breakerStates(service: RunningService): Promise<Record<string, number>> {
  const response = await fetch(`${service.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const states: Record<string, number> = {};
  const line = /^nomaly_circuit_breaker_state\{([^}]*)\}\s+(\S+)$/;
  for (const text of (await response.text()).split('\n')) {
    const match = line.exec(text);
    const operation = match?.[1] === undefined ? undefined : /operation="([^"]*)"/.exec(match[1]);
    if (match?.[2] !== undefined && operation?.[1] !== undefined) {
      states[operation[1]] = Number(match[2]);
    }
  }
  return states;
}

/** One operator probe of a service (`/ready`, `/status`, …), read from the pod itself. */
export async function probe<T = Record<string, unknown>>(
  service: RunningService,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

/** Sends a signal to a service's process (SIGKILL, SIGSTOP, SIGCONT) and checks it was sent. */
export function signal(service: RunningService, name: NodeJS.Signals): void {
  expect(service.process.kill(name), `${name} to pid ${service.process.pid}`).toBe(true);
}

/** SIGKILLs a service and waits until its process is gone. */
export async function kill(service: RunningService): Promise<void> {
  const exited = once(service.process, 'exit');
  signal(service, 'SIGKILL');
  await exited;
}

/**
 * Ends every connection to the stack's database (`pg_terminate_backend`), as a Postgres
 * failover or an operator would, from the admin database so our own session is not among them;
 * returns how many were ended.
 */
export async function terminateBackends(stack: Stack): Promise<number> {
  const ended = await sql<{ ended: boolean }>(
    ADMIN_DATABASE_URL,
    'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1',
    [stack.database.name],
  );
  return ended.filter((row) => row.ended).length;
}
