import {
  CentralRejectedError,
  CentralUnavailableError,
  type CentralClient,
  type EdgeResult,
} from '@nomaly/edge-runtime';
import type { Logger } from '@nomaly/platform-core';
import type { DeadLetters } from '../buffer/dead-letters.js';
import type { BufferedResult, ResultBuffer } from '../buffer/result-buffer.js';
import type { EdgeMetrics } from '../metrics.js';

export interface UploaderOptions {
  readonly agentId: string;
  /** Results per upload (EDGE_UPLOAD_BATCH_RESULTS, at most the central bound). */
  readonly maxResults: number;
  /** Rows per upload in all (MAX_DETECTION_BATCH_SIZE, the central bound). */
  readonly maxRows: number;
  /** The longest wait between attempts while central fails (SYNC_INTERVAL). */
  readonly maxBackoffMs: number;
}

const FIRST_BACKOFF_MS = 500;
const RESULT_REF = /^results\[(\d+)\]/;

/**
 * Sends the buffer to `POST /api/v1/results/edge`, oldest first, and deletes from it exactly the
 * ids central answered it holds — never before. A lost answer leaves the batch in the buffer; the
 * next attempt sends the same ids and central stores nothing twice. While central fails, attempts
 * back off exponentially (with jitter) up to SYNC_INTERVAL; a new result does not cut a backoff
 * short. Results central refuses for good (400/422 naming them) go to the dead-letter file.
 */
export class Uploader {
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private backoffMs = 0;
  private batchLimit: number;

  constructor(
    private readonly buffer: ResultBuffer,
    private readonly deadLetters: DeadLetters,
    private readonly central: CentralClient,
    private readonly metrics: EdgeMetrics,
    private readonly logger: Logger,
    private readonly options: UploaderOptions,
  ) {
    this.batchLimit = options.maxResults;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New results are waiting: upload now unless central is being backed off from. */
  kick(): void {
    if (this.backoffMs === 0) this.wake?.();
  }

  /** Finishes the upload in flight (its acknowledgement is kept) and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let batch: BufferedResult[];
      try {
        batch = await this.buffer.pending(this.batchLimit, this.options.maxRows);
      } catch (error) {
        this.logger.error({ err: error }, 'upload: cannot read the buffer');
        await this.sleep(this.options.maxBackoffMs);
        continue;
      }
      if (batch.length === 0) {
        await this.sleep(this.options.maxBackoffMs);
        continue;
      }
      const delay = await this.upload(batch.map((item) => item.result));
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** One attempt; answers how long to wait before the next one. */
  private async upload(results: EdgeResult[]): Promise<number> {
    try {
      const receipt = await this.central.uploadResults(this.options.agentId, results);
      const held = new Set([...receipt.accepted, ...receipt.duplicates]);
      const confirmed = results.map((r) => r.id).filter((id) => held.has(id));
      await this.buffer.acknowledge(confirmed);
      this.metrics.uploaded.inc({ outcome: 'accepted' }, receipt.accepted.length);
      this.metrics.uploaded.inc({ outcome: 'duplicate' }, receipt.duplicates.length);
      this.metrics.markUploaded();
      this.backoffMs = 0;
      this.batchLimit = this.options.maxResults;
      if (confirmed.length < results.length) {
        // Kept, and sent again: central must name every id it holds before one is deleted.
        this.logger.warn(
          { sent: results.length, confirmed: confirmed.length },
          'upload: central did not confirm every id of the batch; the rest stay buffered',
        );
        return this.backOff();
      }
      this.logger.debug(
        { results: results.length, accepted: receipt.accepted.length },
        'upload: acknowledged',
      );
      return 0;
    } catch (error) {
      if (error instanceof CentralRejectedError) return this.rejected(error, results);
      const reason = error instanceof CentralUnavailableError ? 'unreachable' : 'internal';
      this.metrics.uploadFailures.inc({ reason });
      const wait = Math.max(
        this.backOff(),
        ((error as CentralUnavailableError).retryAfterSeconds ?? 0) * 1000,
      );
      this.logger.warn(
        { err: error, results: results.length, retryInMs: wait },
        'upload: central unreachable; results stay buffered',
      );
      return wait;
    }
  }

  private async rejected(error: CentralRejectedError, results: EdgeResult[]): Promise<number> {
    this.metrics.uploadFailures.inc({ reason: 'rejected' });
    if (error.status === 413 && results.length > 1) {
      this.batchLimit = Math.max(1, Math.floor(results.length / 2));
      this.logger.warn(
        { results: results.length, next: this.batchLimit },
        'upload: batch too large; splitting',
      );
      return 0;
    }
    const named = new Map<number, string>();
    for (const problem of error.problem?.errors ?? []) {
      const index = RESULT_REF.exec(problem.field)?.[1];
      if (index !== undefined && Number(index) < results.length) {
        named.set(Number(index), `${problem.field}: ${problem.message}`);
      }
    }
    const refusedForGood =
      (error.status === 400 || error.status === 422) && error.problem?.code === 'VALIDATION_FAILED';
    if (!refusedForGood) {
      // 401/403/404…: a key without the analyst role, or a wrong CENTRAL_API_URL. The results are
      // fine; keep them until an operator fixes the agent's configuration.
      this.logger.error(
        { err: error, results: results.length },
        'upload: central refuses the agent (check EDGE_API_KEY and CENTRAL_API_URL); results stay buffered',
      );
      return this.backOff();
    }
    if (named.size === 0 && results.length > 1) {
      // A refusal that names no result: halve until the refused one is alone.
      this.batchLimit = Math.max(1, Math.floor(results.length / 2));
      return 0;
    }
    const refused =
      named.size > 0
        ? [...named].map(([i, reason]) => ({ result: results[i] as EdgeResult, reason }))
        : results.map((result) => ({ result, reason: error.message }));
    await this.deadLetters.add(refused);
    await this.buffer.acknowledge(refused.map(({ result }) => result.id));
    this.metrics.deadLetters.inc(refused.length);
    this.logger.error(
      { refused: refused.map(({ result, reason }) => ({ id: result.id, reason })) },
      'upload: central refused results for good; moved to dead-letter.ndjson',
    );
    return 0;
  }

  private backOff(): number {
    this.backoffMs = Math.min(
      this.options.maxBackoffMs,
      this.backoffMs === 0 ? FIRST_BACKOFF_MS : this.backoffMs * 2,
    );
    // Full jitter over the upper half: agents that lost central together do not return together.
    return Math.round(this.backoffMs / 2 + (Math.random() * this.backoffMs) / 2);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
