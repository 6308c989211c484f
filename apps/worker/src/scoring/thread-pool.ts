import { Worker } from 'node:worker_threads';
import type { FitRequest, FittedModel } from '@nomaly/detector-runtime';
import { ServiceError, type Logger, type ProblemCode } from '@nomaly/platform-core';
import type { ThreadError, ThreadRequest, ThreadResponse } from './messages.js';

/** A model as the pool scores with it: its version key and its document. */
export interface PoolModel {
  readonly key: string;
  readonly document: string;
}

/** Thrown for tasks the pool dropped: closed, or aborted by their caller. */
export class PoolStoppedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PoolStoppedError';
  }
}

type Settle = (response: ThreadResponse) => void;

interface Task {
  readonly build: (thread: Thread) => { request: ThreadRequest; transfer: ArrayBuffer[] };
  readonly settle: Settle;
  readonly fail: (error: Error) => void;
  /** Fits are long: their thread is terminated (and replaced) when the caller aborts. */
  readonly signal?: AbortSignal;
}

interface Thread {
  worker: Worker;
  /** Model keys whose document this thread has received. */
  readonly loaded: Set<string>;
  current: { id: number; task: Task } | undefined;
}

/**
 * A fixed pool of scoring threads (node:worker_threads), one task per thread at a time, tasks
 * queued first come first served. A thread that dies (a crash, an out-of-memory) fails its task
 * and is replaced; `close()` terminates them all and fails whatever is pending.
 */
export class ThreadPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    readonly size: number,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Argument 'size' passed to 'ThreadPool' must be an integer ≥ 1, got ${size}`,
      );
    }
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  /**
   * Scores `rows` rows (row-major `values`, transferred: the caller must not touch it after).
   *
   * @throws ServiceError as the model raised it; PoolStoppedError when the pool closes first.
   */
  score(model: PoolModel, values: Float64Array, rows: number, cols: number): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      this.enqueue({
        build: (thread) => {
          const first = !thread.loaded.has(model.key);
          thread.loaded.add(model.key);
          return {
            request: {
              kind: 'score',
              id: this.nextId++,
              modelKey: model.key,
              ...(first ? { document: model.document } : {}),
              values,
              rows,
              cols,
            },
            transfer: [values.buffer as ArrayBuffer],
          };
        },
        settle: (response) => {
          if (!response.ok) reject(toError(response.error));
          else if ('scores' in response) resolve(response.scores);
          else reject(new Error('scoring thread answered a score request with a fit'));
        },
        fail: reject,
      });
    });
  }

  /**
   * Fits a model on one thread. Aborting `signal` terminates that thread (a fit cannot be
   * interrupted otherwise) and starts a fresh one in its place.
   */
  fit(
    request: FitRequest,
    data: Float64Array,
    rows: number,
    features: readonly string[],
    signal?: AbortSignal,
  ): Promise<FittedModel> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new PoolStoppedError(`fit aborted: ${String(signal.reason)}`));
        return;
      }
      this.enqueue({
        build: () => ({
          request: { kind: 'fit', id: this.nextId++, request, data, rows, features },
          transfer: [data.buffer as ArrayBuffer],
        }),
        settle: (response) => {
          if (!response.ok) reject(toError(response.error));
          else if ('fitted' in response) resolve(response.fitted);
          else reject(new Error('scoring thread answered a fit request with scores'));
        },
        fail: reject,
        ...(signal === undefined ? {} : { signal }),
      });
    });
  }

  /** Terminates every thread; pending and running tasks fail with PoolStoppedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.fail(new PoolStoppedError('thread pool closed'));
    await Promise.all(
      this.threads.map(async (thread) => {
        const running = thread.current;
        thread.current = undefined;
        running?.task.fail(new PoolStoppedError('thread pool closed'));
        await thread.worker.terminate();
      }),
    );
  }

  private enqueue(task: Task): void {
    if (this.closed) {
      task.fail(new PoolStoppedError('thread pool closed'));
      return;
    }
    if (task.signal !== undefined) {
      task.signal.addEventListener('abort', () => this.abort(task), { once: true });
    }
    this.queue.push(task);
    this.dispatch();
  }

  private dispatch(): void {
    for (const thread of this.threads) {
      if (thread.current !== undefined) continue;
      const task = this.queue.shift();
      if (task === undefined) return;
      const { request, transfer } = task.build(thread);
      thread.current = { id: request.id, task };
      thread.worker.postMessage(request, transfer);
    }
  }

  /** An aborted fit: dropped from the queue, or its thread replaced if it is running. */
  private abort(task: Task): void {
    const reason = `aborted: ${String(task.signal?.reason)}`;
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      task.fail(new PoolStoppedError(reason));
      return;
    }
    const index = this.threads.findIndex((thread) => thread.current?.task === task);
    const thread = this.threads[index];
    if (thread === undefined) return;
    thread.current = undefined;
    task.fail(new PoolStoppedError(reason));
    void thread.worker.terminate();
    this.threads[index] = this.spawn();
    this.dispatch();
  }

  private spawn(): Thread {
    // No --import of the telemetry hook in threads: they make no calls worth tracing.
    const worker = new Worker(this.script, { execArgv: [] });
    const thread: Thread = { worker, loaded: new Set(), current: undefined };
    worker.on('message', (response: ThreadResponse) => {
      const running = thread.current;
      if (running === undefined || running.id !== response.id) return;
      thread.current = undefined;
      running.task.settle(response);
      this.dispatch();
    });
    const replace = (error: Error): void => {
      if (this.closed || !this.threads.includes(thread)) return;
      this.logger.error({ err: error }, 'scoring thread died; starting another');
      const running = thread.current;
      thread.current = undefined;
      running?.task.fail(error);
      this.threads[this.threads.indexOf(thread)] = this.spawn();
      this.dispatch();
    };
    worker.on('error', replace);
    worker.on('exit', (code) => {
      if (code !== 0) replace(new Error(`scoring thread exited with code ${code}`));
    });
    return thread;
  }
}

/** A thread's error as a ServiceError when it was one (its code decides retry or fail). */
function toError(error: ThreadError): Error {
  if (error.code !== undefined) {
    return new ServiceError(error.code as ProblemCode, error.message, {
      ...(error.status === undefined ? {} : { status: error.status }),
    });
  }
  return new Error(error.message);
}
