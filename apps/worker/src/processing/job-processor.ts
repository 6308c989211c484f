import { jobErrorOf, type JobError, type QueuePayload } from '@nomaly/jobs';
import { isDependencyOutage, ServiceError } from '@nomaly/platform-core';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { runDetectJob } from './detect-job.js';
import type { JobContext, RunOutcome, StopReason } from './job-context.js';
import { runTrainJob } from './train-job.js';

export interface JobProcessorOptions {
  /** `JOB_MAX_INTERRUPTIONS`: pickups after a vanished worker before the job fails. */
  readonly maxInterruptions: number;
  /**
   * `JOB_LOCK_MS`: a run whose queue lock was last renewed longer ago than this has lost it
   * (the queue may already have handed the job to another worker) and stops.
   */
  readonly lockMs: number;
}

/** How often a run's lock renewals are checked. */
const LOCK_CHECK_MS = 250;

interface ActiveRun {
  readonly controller: AbortController;
  /** When BullMQ last renewed (or took) the run's queue lock. */
  lockRenewedAt: number;
}

/** Codes of failures worth another attempt: the dependency may be back by then. */
const TRANSIENT_CODES = new Set(['DEPENDENCY_UNAVAILABLE', 'TIMEOUT', 'SERVICE_UNAVAILABLE']);

/**
 * The BullMQ processor of both queues. It claims the job in Postgres (queue entries carry only
 * the id), runs it, and turns the way it ended into the record and the queue's next step:
 *
 * - succeeded or cancelled: the entry completes;
 * - a permanent failure (the caller's data or detector, a bug): the job fails, no retry;
 * - a transient failure (a dependency down): queued again in Postgres, and BullMQ retries with
 *   back-off until its attempts run out, then the job fails;
 * - SIGTERM: the chunks in hand are finished, the job goes back to queued and its entry back
 *   to waiting, for the next worker;
 * - its queue lock lost (Redis restarted, or the lock expired): the run stops at once and the
 *   job stays running in Postgres, for whichever worker BullMQ or the reconciler hands it to.
 */
export class JobProcessor {
  private readonly active = new Map<string, ActiveRun>();
  private readonly lockCheck: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly context: JobContext,
    private readonly options: JobProcessorOptions,
  ) {
    // A run never outlives its lock: with Redis unreachable no renewal succeeds, and once the
    // lock has expired the queue may hand the job to another worker.
    this.lockCheck = setInterval(() => {
      const now = Date.now();
      const stale = [...this.active]
        .filter(([, run]) => now - run.lockRenewedAt > this.options.lockMs)
        .map(([jobId]) => jobId);
      if (stale.length > 0) this.lockLost(stale);
    }, LOCK_CHECK_MS);
    this.lockCheck.unref();
  }

  /** Jobs running in this process now. */
  get running(): number {
    return this.active.size;
  }

  readonly process = async (entry: Job<QueuePayload>, token?: string): Promise<string> => {
    const { store, logger, metrics } = this.context;
    const { jobId } = entry.data;
    if (this.stopping) return this.handBack(entry, token, jobId);
    const controller = new AbortController();
    this.active.set(jobId, { controller, lockRenewedAt: Date.now() });
    try {
      const job = await store.claim(jobId);
      if (job === undefined) return 'finished';
      if (job.interruptions > this.options.maxInterruptions) {
        const detail = `The job was interrupted ${job.interruptions} times (its worker killed or its queue lock lost each time); it is not tried again.`;
        await store.fail(jobId, { code: 'WORKER_LOST', detail });
        metrics.jobFinished(job.type, 'failed');
        throw new UnrecoverableError(detail);
      }
      logger.info(
        { jobId, type: job.type, attempt: job.attempts, interruptions: job.interruptions },
        'job started',
      );
      const outcome: RunOutcome =
        job.spec.type === 'train'
          ? await runTrainJob(this.context, job, job.spec, controller.signal)
          : await runDetectJob(this.context, job, job.spec, controller.signal);
      switch (outcome.kind) {
        case 'succeeded':
          metrics.jobFinished(job.type, 'succeeded');
          logger.info(
            { jobId, type: job.type, rows: outcome.rows, attempt: job.attempts },
            'job succeeded',
          );
          return 'succeeded';
        case 'cancelled':
          metrics.jobFinished(job.type, 'cancelled');
          logger.info({ jobId, type: job.type }, 'job cancelled');
          return 'cancelled';
        case 'stopped':
          return await this.stopped(entry, token, jobId, controller.signal.reason as StopReason);
      }
    } catch (error) {
      if (error instanceof WaitingError || error instanceof UnrecoverableError) throw error;
      // An error raised by the stop itself (threads terminated, stream cancelled).
      if (controller.signal.aborted) {
        return await this.stopped(entry, token, jobId, controller.signal.reason as StopReason);
      }
      throw await this.failed(entry, jobId, error);
    } finally {
      // With WORKER_CONCURRENCY > 1 a stopped run may still be ending when the same job starts
      // again here: only the entry of this run goes.
      if (this.active.get(jobId)?.controller === controller) this.active.delete(jobId);
    }
  };

  /** BullMQ renewed the queue lock of these entries. */
  locksRenewed(jobIds: readonly string[]): void {
    const now = Date.now();
    for (const jobId of jobIds) {
      const run = this.active.get(jobId);
      if (run !== undefined) run.lockRenewedAt = now;
    }
  }

  /** The queue lock of these entries is lost (its renewal failed, or is overdue): runs stop. */
  lockLost(jobIds: readonly string[]): void {
    for (const jobId of jobIds) {
      const controller = this.active.get(jobId)?.controller;
      if (controller === undefined || controller.signal.aborted) continue;
      this.context.logger.warn(
        { jobId },
        'queue lock lost; stopping the run (the job resumes elsewhere)',
      );
      controller.abort('lock-lost' satisfies StopReason);
    }
  }

  /** SIGTERM: no new jobs; runs finish the chunks in hand and hand their jobs back. */
  shutdown(): void {
    this.stopping = true;
    clearInterval(this.lockCheck);
    for (const { controller } of this.active.values()) {
      controller.abort('shutdown' satisfies StopReason);
    }
  }

  private async stopped(
    entry: Job<QueuePayload>,
    token: string | undefined,
    jobId: string,
    reason: StopReason,
  ): Promise<never> {
    if (reason === 'shutdown') {
      await this.context.store.requeue(jobId);
      return this.handBack(entry, token, jobId);
    }
    throw new Error(`job ${jobId}: queue lock lost; the run stopped and the job stays open`);
  }

  /** Back to waiting in the queue (BullMQ's WaitingError tells the worker it was moved). */
  private async handBack(
    entry: Job<QueuePayload>,
    token: string | undefined,
    jobId: string,
  ): Promise<never> {
    await entry.moveToWait(token);
    this.context.logger.info({ jobId }, 'job handed back to the queue');
    throw new WaitingError();
  }

  /** Records a failure; returns what BullMQ should see (UnrecoverableError: no retry). */
  private async failed(entry: Job<QueuePayload>, jobId: string, error: unknown): Promise<Error> {
    const { store, logger, metrics } = this.context;
    const transient = isTransient(error);
    const record = recordedError(error);
    const attemptsLeft = (entry.opts.attempts ?? 1) - entry.attemptsMade - 1;
    if (transient && attemptsLeft > 0) {
      await store.requeue(jobId, record);
      logger.warn(
        { err: error, jobId, attemptsLeft },
        'job attempt failed on a dependency; it will be retried',
      );
      return error instanceof Error ? error : new Error(record.detail);
    }
    await store.fail(jobId, record);
    metrics.jobFinished(entry.name, 'failed');
    logger.error({ err: error, jobId }, 'job failed');
    return new UnrecoverableError(record.detail);
  }
}

function isTransient(error: unknown): boolean {
  if (error instanceof ServiceError) return TRANSIENT_CODES.has(error.code);
  return isDependencyOutage(error);
}

/** What the job record says about a failure: our errors as they are, outages named. */
function recordedError(error: unknown): JobError {
  if (!(error instanceof ServiceError) && isDependencyOutage(error)) {
    return { code: 'DEPENDENCY_UNAVAILABLE', detail: 'The database was unreachable.' };
  }
  return jobErrorOf(error);
}
