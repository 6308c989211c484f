import { JOB_TYPES, type JobQueues } from '@nomaly/jobs';
import type { Logger } from '@nomaly/platform-core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Bound on reading the queue depths at scrape time: a scrape never waits on a dead Redis. */
const COUNTS_TIMEOUT_MS = 1_000;

/**
 * The worker's own series, beside the platform's (process, breakers, database pool):
 * `nomaly_queue_jobs{queue,state}` (queue depth, read from Redis when Prometheus scrapes; absent
 * while Redis is unreachable rather than stale), jobs finished by outcome, rows processed and
 * the time per chunk.
 */
export class WorkerMetrics {
  private readonly jobs: Counter<'type' | 'outcome'>;
  private readonly rows: Counter<'type'>;
  private readonly chunkSeconds: Histogram<'type'>;

  constructor(registry: Registry, queues: JobQueues, logger: Logger) {
    const registers = [registry];
    // Lives in the registry: Prometheus reads it through collect(), nothing else touches it.
    new Gauge({
      name: 'nomaly_queue_jobs',
      help: 'Entries in the job queues by state (waiting, active, delayed, failed, …).',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        let timer: NodeJS.Timeout | undefined;
        try {
          const counts = await Promise.race([
            queues.counts(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error('queue counts timed out')),
                COUNTS_TIMEOUT_MS,
              );
            }),
          ]);
          for (const { queue, state, count } of counts) this.set({ queue, state }, count);
        } catch (error) {
          logger.debug({ err: error }, 'queue depth unavailable for this scrape');
        } finally {
          clearTimeout(timer);
        }
      },
    });
    this.jobs = new Counter({
      name: 'nomaly_jobs_total',
      help: 'Jobs this worker finished, by type and outcome (succeeded, failed, cancelled).',
      labelNames: ['type', 'outcome'],
      registers,
    });
    // Every series exists from the start at 0, so a rate over the first finished job of a kind
    // sees it (a series born at 1 has no earlier sample) — the job-failure alerts and the
    // canary analysis compare these.
    for (const type of JOB_TYPES) {
      for (const outcome of ['succeeded', 'failed', 'cancelled'] as const) {
        this.jobs.inc({ type, outcome }, 0);
      }
    }
    this.rows = new Counter({
      name: 'nomaly_job_rows_total',
      help: 'Rows scored (detect) or trained on (train) by this worker.',
      labelNames: ['type'],
      registers,
    });
    this.chunkSeconds = new Histogram({
      name: 'nomaly_job_chunk_duration_seconds',
      help: 'Time to score and store one chunk (detect), or to read, fit and publish (train).',
      labelNames: ['type'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
  }

  jobFinished(type: string, outcome: 'succeeded' | 'failed' | 'cancelled'): void {
    this.jobs.inc({ type, outcome });
  }

  chunkWritten(type: string, rows: number, seconds: number): void {
    this.rows.inc({ type }, rows);
    this.chunkSeconds.observe({ type }, seconds);
  }
}
