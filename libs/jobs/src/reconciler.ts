import type { Logger } from '@nomaly/platform-core';
import type { Database } from '@nomaly/platform-persistence';
import type { JobQueues } from './job-queues.js';
import type { JobStore } from './job-store.js';

/** Open jobs looked at per pass; the oldest first, so none starves. */
const BATCH = 500;

/** One pass of the reconciler at a time across every replica (a Postgres advisory lock). */
const LOCK_KEY = 'nomaly:jobs:reconciler';

export interface ReconcilerOptions {
  readonly database: Database;
  readonly store: JobStore;
  readonly queues: JobQueues;
  readonly logger: Logger;
  /** Time between passes. */
  readonly intervalMs: number;
  /** Finished jobs, with their stored scores, are deleted this many days after they finished. */
  readonly retentionDays: number;
}

/** What one pass did. */
export interface ReconcileReport {
  /** Skipped: Redis unreachable, or another replica holds the lock. */
  readonly skipped: boolean;
  /** Open jobs whose queue entry was missing (Redis lost it) and were queued again. */
  readonly requeued: number;
  /** Open jobs whose queue entry had failed without Postgres hearing of it. */
  readonly failed: number;
  /** Finished jobs past their retention, deleted with their scores. */
  readonly purged: number;
}

/**
 * Makes the queue agree with Postgres, the record. Every few seconds it reads the accepted,
 * unfinished jobs and asks Redis for each one's queue entry:
 *
 * - none (Redis restarted empty, or the detector-service died between its commit and its add):
 *   queued again — under the job's id, so a concurrent add elsewhere is a no-op;
 * - completed although Postgres has it open: removed and queued again;
 * - failed (retries exhausted, and the worker died before recording it): the job fails in
 *   Postgres with BullMQ's reason.
 *
 * Entries that are waiting, delayed or active are left alone: a worker that died holding one is
 * BullMQ's stalled-job check's to hand back. Each pass also deletes up to {@link BATCH} jobs that
 * finished more than `retentionDays` ago, with their stored scores, so the tables stay bounded. Passes serialise on a transaction-level advisory
 * lock, so several worker replicas reconcile once per interval, not once each; the adds being
 * idempotent, an overlap would be harmless anyway.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.runOnce()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'job reconciliation failed; retrying next pass'),
        )
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async runOnce(): Promise<ReconcileReport> {
    const { database, store, queues, logger } = this.options;
    if (!(await queues.available())) return { skipped: true, requeued: 0, failed: 0, purged: 0 };
    return database.dataSource.transaction(async (manager) => {
      const [lock] = await manager.query<Array<{ locked: boolean }>>(
        `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`,
        [LOCK_KEY],
      );
      if (lock?.locked !== true) return { skipped: true, requeued: 0, failed: 0, purged: 0 };
      let requeued = 0;
      let failed = 0;
      for (const job of await store.open(BATCH)) {
        const state = await queues.state(job.type, job.id);
        if (state === 'unknown' || state === 'completed') {
          if (state === 'completed') await queues.remove(job.type, job.id);
          await queues.add(job.type, job.id);
          requeued += 1;
          logger.warn(
            { jobId: job.id, type: job.type, state: job.state, queueEntry: state },
            'open job had no live queue entry; queued it again from Postgres',
          );
        } else if (state === 'failed') {
          const reason = (await queues.failedReason(job.type, job.id)) ?? 'the queue failed it';
          if (await store.fail(job.id, { code: 'INTERNAL', detail: reason.slice(0, 500) })) {
            failed += 1;
            logger.warn(
              { jobId: job.id, reason },
              'queue entry failed; recorded the job as failed',
            );
          }
        }
      }
      const purged = await store.purgeFinished(this.options.retentionDays, BATCH);
      if (purged > 0) {
        logger.info(
          { purged, retentionDays: this.options.retentionDays },
          'deleted finished jobs past their retention',
        );
      }
      return { skipped: false, requeued, failed, purged };
    });
  }
}
