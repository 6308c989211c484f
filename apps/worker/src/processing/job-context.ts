import type { DatasetClient, ModelClient } from '@nomaly/detector-runtime';
import type { JobStore } from '@nomaly/jobs';
import type { Logger } from '@nomaly/platform-core';
import type { WorkerMetrics } from '../worker-metrics.js';
import type { ThreadPool } from '../scoring/thread-pool.js';

/** What a job run uses. */
export interface JobContext {
  readonly store: JobStore;
  readonly datasets: DatasetClient;
  readonly models: ModelClient;
  readonly pool: ThreadPool;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
}

/** Why a run was told to stop: the process is shutting down, or its queue lock was lost. */
export type StopReason = 'shutdown' | 'lock-lost';

/** How a run ended without an error. */
export type RunOutcome =
  | { readonly kind: 'succeeded'; readonly rows: number }
  /** Cancelled through the API (or finished by another worker): nothing more to do. */
  | { readonly kind: 'cancelled' }
  /** Its stop signal fired: the processor hands the job back or lets it go. */
  | { readonly kind: 'stopped' };
