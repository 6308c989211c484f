import { ServiceError } from '@nomaly/platform-core';
import { Queue, type JobsOptions, type JobType as QueueJobState } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_TYPES, type JobType } from './job-state.js';

/** BullMQ's key prefix: every queue key starts `nomaly:jobs:<queue>:`. */
export const QUEUE_PREFIX = 'nomaly:jobs';

/** One queue per job type, so the worker can run a training and a batch detection side by side. */
export const QUEUE_NAMES: Readonly<Record<JobType, string>> = { train: 'train', detect: 'detect' };

/** What a queue entry carries: only the id — Postgres holds the job. */
export interface QueuePayload {
  readonly jobId: string;
}

/** Retries of transient failures (a dependency down): BullMQ attempts and exponential back-off. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMs: number;
}

/** How long BullMQ keeps a finished entry (Postgres keeps the job itself). */
const KEEP_COMPLETED = { age: 3_600, count: 1_000 };
const KEEP_FAILED = { age: 7 * 24 * 3_600, count: 10_000 };

/**
 * A queue entry's options. Its BullMQ id is the job's id: adding a job that is already queued
 * (the detector-service and the reconciler both adding it) is a no-op.
 */
export function queueEntryOptions(jobId: string, retry: RetryPolicy): JobsOptions {
  return {
    jobId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.delayMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/** The BullMQ states a queue entry can be in; `unknown` when Redis has no such entry. */
export type QueueEntryState = QueueJobState | 'unknown';

/** States counted by the queue-depth gauge. */
export const QUEUE_COUNTED_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'completed',
] as const;

/** How long the availability check waits for Redis' PONG. */
const PING_TIMEOUT_MS = 1_000;
/** Retry-After of a submission refused because the queue is unreachable. */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

/**
 * The producer's side of the job queues (and the reconciler's view of them), over one Redis
 * client created to fail fast (no offline queue, a command timeout): when Redis is down, every
 * call here fails within about a second instead of waiting for it to come back.
 */
export class JobQueues {
  private readonly queues: ReadonlyMap<JobType, Queue<QueuePayload>>;

  constructor(
    private readonly redis: Redis,
    private readonly retry: RetryPolicy,
  ) {
    this.queues = new Map(
      JOB_TYPES.map((type) => [
        type,
        new Queue<QueuePayload>(QUEUE_NAMES[type], { connection: redis, prefix: QUEUE_PREFIX }),
      ]),
    );
    // Errors surface through the calls below; without a listener an 'error' event would crash.
    for (const queue of this.queues.values()) queue.on('error', () => undefined);
  }

  /** Whether Redis answers now (connected, and PONG within a second). */
  async available(): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no PONG')), PING_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Refuses at once when the queue cannot take work: 503 with Retry-After, before anything is
   * written, so a client retries later instead of hanging on a Redis that is down.
   *
   * It asks the connection, not Redis: a stopped or unreachable Redis has already closed or
   * refused it. A PING per submission would also refuse a healthy Redis whenever a burst of
   * submissions delays the PONG past its timeout (1,000 concurrent submissions did), and a
   * Redis that hangs with the connection open costs only the enqueue's command timeout after
   * the commit: the job is recorded, and the reconciler queues it.
   *
   * @throws ServiceError `DEPENDENCY_UNAVAILABLE`
   */
  assertAvailable(): void {
    if (this.redis.status === 'ready') return;
    throw new ServiceError(
      'DEPENDENCY_UNAVAILABLE',
      'The job queue (Redis) is unavailable; no job was created. Retry shortly.',
      { retryAfterSeconds: QUEUE_RETRY_AFTER_SECONDS },
    );
  }

  /** Queues a job (a no-op when its entry exists). */
  async add(type: JobType, jobId: string): Promise<void> {
    await this.queue(type).add(type, { jobId }, queueEntryOptions(jobId, this.retry));
  }

  /** Where the job's entry is in its queue; `unknown` when Redis has none (lost, or removed). */
  async state(type: JobType, jobId: string): Promise<QueueEntryState> {
    return this.queue(type).getJobState(jobId);
  }

  /** Why BullMQ failed the entry, if it did. */
  async failedReason(type: JobType, jobId: string): Promise<string | undefined> {
    const entry = await this.queue(type).getJob(jobId);
    return entry?.failedReason === undefined || entry.failedReason === ''
      ? undefined
      : entry.failedReason;
  }

  /** Removes a finished entry, so the job can be queued again under the same id. */
  async remove(type: JobType, jobId: string): Promise<void> {
    await this.queue(type).remove(jobId);
  }

  /** Entries per queue and state, for the queue-depth gauge. */
  async counts(): Promise<Array<{ queue: string; state: string; count: number }>> {
    const out: Array<{ queue: string; state: string; count: number }> = [];
    for (const [type, queue] of this.queues) {
      const counts = await queue.getJobCounts(...QUEUE_COUNTED_STATES);
      for (const state of QUEUE_COUNTED_STATES) {
        out.push({ queue: QUEUE_NAMES[type], state, count: counts[state] ?? 0 });
      }
    }
    return out;
  }

  /** Closes the queues; the Redis client is the caller's to close. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private queue(type: JobType): Queue<QueuePayload> {
    const queue = this.queues.get(type);
    if (queue === undefined) throw new Error(`no queue for job type '${type}'`);
    return queue;
  }
}
