import { CliError, ExitCode } from '../cli-error.js';
import { Progress } from '../progress.js';
import type { ApiClient } from './api-client.js';
import { idPath } from './args.js';
import { bar, count, num, say } from './output.js';

/** `GET /api/v1/jobs/{id}`, the durable jobs API (README "Jobs and the worker"). */
export interface Job {
  id: string;
  type: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: { rows: number; totalRows: number };
  detectorId?: string;
  datasetId?: string;
  attempts?: number;
  error?: { code: string; detail: string };
  result?: Record<string, unknown>;
  createdAt?: string;
  updatedAt?: string;
}

export const FINAL_STATES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** How often a watched job is read: often enough for a live bar, cheap for the API. */
const POLL_MS = 500;
/** Network failures in a row a watch rides out (a gateway restart) before giving up. */
const NETWORK_FAILURES_TOLERATED = 3;

export async function getJob(client: ApiClient, id: string): Promise<Job> {
  return (await client.call<Job>(`/api/v1/jobs/${idPath(id)}`)).body;
}

/**
 * Reads the job until it is succeeded, failed or cancelled, drawing a progress bar on a
 * terminal. Past `timeoutMs` it stops waiting (exit 6); the job itself goes on.
 */
export async function watchJob(client: ApiClient, id: string, timeoutMs: number): Promise<Job> {
  const progress = new Progress();
  const deadline = Date.now() + timeoutMs;
  let failures = 0;
  try {
    for (;;) {
      let job: Job | undefined;
      try {
        job = await getJob(client, id);
        failures = 0;
      } catch (e) {
        if (!(e instanceof CliError) || e.exitCode !== ExitCode.Network) throw e;
        failures++;
        if (failures > NETWORK_FAILURES_TOLERATED) throw e;
        progress.update(`job ${id}: ${e.message}; trying again`);
      }
      if (job !== undefined) {
        const { rows, totalRows } = job.progress;
        progress.update(
          `${job.type} job ${id.slice(0, 8)} ${job.state.padEnd(9)} ${bar(rows, totalRows)} ${count(rows)}/${count(totalRows)} rows`,
        );
        if (FINAL_STATES.has(job.state)) return job;
      }
      if (Date.now() >= deadline) {
        throw new CliError(
          `job ${id} is still ${job?.state ?? 'unknown'} after ${timeoutMs / 1000} s; it goes on: nomaly jobs watch ${id}`,
          ExitCode.WaitTimeout,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS * 2 ** failures, 4_000)));
    }
  } finally {
    progress.done();
  }
}

/** A job in a few lines for people. */
export function printJob(job: Job): void {
  say(`job       ${job.id}`);
  say(`type      ${job.type}`);
  say(`state     ${job.state}`);
  say(`progress  ${count(job.progress.rows)} / ${count(job.progress.totalRows)} rows`);
  if (job.detectorId !== undefined) say(`detector  ${job.detectorId}`);
  if (job.datasetId !== undefined) say(`dataset   ${job.datasetId}`);
  if (job.attempts !== undefined) say(`attempts  ${job.attempts}`);
  if (job.error !== undefined) say(`error     ${job.error.code}: ${job.error.detail}`);
  const summary = resultSummary(job);
  if (summary !== undefined) say(`result    ${summary}`);
}

/** What a finished job produced, in one line. */
export function resultSummary(job: Job): string | undefined {
  const result = job.result;
  if (result === undefined) return undefined;
  if (job.type === 'train') return describeTraining(result);
  const r = result as { rows?: number; anomalies?: number; threshold?: number; location?: string };
  return `${count(r.rows)} rows scored, ${count(r.anomalies)} anomalous (threshold ${num(r.threshold)})${r.location === undefined ? '' : `; results at ${r.location}`}`;
}

/** A training's answer (the 200 of train, or a train job's result) in one line. */
export function describeTraining(result: Record<string, unknown>): string {
  const r = result as {
    modelVersion?: { modelId?: string; version?: number };
    rows?: number;
    threshold?: number;
    metrics?: { rocAuc?: number; averagePrecision?: number };
  };
  const metrics =
    r.metrics === undefined
      ? ''
      : `, ROC-AUC ${num(r.metrics.rocAuc)}, AP ${num(r.metrics.averagePrecision)}`;
  return `model ${r.modelVersion?.modelId ?? '?'} version ${r.modelVersion?.version ?? '?'} (${count(r.rows)} rows, threshold ${num(r.threshold)}${metrics})`;
}

/**
 * Prints a finished job (JSON or lines) and fails with exit 1 when it did not succeed, naming
 * its error.
 */
export function reportFinishedJob(job: Job, json: boolean, print: (value: unknown) => void): void {
  if (json) print(job);
  else printJob(job);
  if (job.state === 'succeeded') return;
  const why = job.error === undefined ? '' : `: ${job.error.code}: ${job.error.detail}`;
  throw new CliError(`job ${job.id} ended ${job.state}${why}`, ExitCode.Failure);
}
