export interface RetryOptions {
  /** Total tries, the first included; 1 means no retry. */
  readonly attempts: number;
  /** Cap of the first back-off; doubles per retry. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Ceiling of any back-off. Default 5 s. */
  readonly maxDelayMs?: number;
  /** Whether an error is worth another try; everything is, by default. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Stops retrying (and any back-off in progress) with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * The wait before retry number `attempt` (1 after the first failure): "full jitter", a uniform
 * draw in `[0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))]`. Spreading retries over the whole
 * window, rather than around a fixed delay, keeps many clients that failed together from
 * retrying together (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015).
 */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Calls `fn` until it resolves, `attempts` are used up, or an error is not retryable; the last
 * error is thrown as is. Only for idempotent work: a retried write that did land the first time
 * happens twice.
 *
 * @throws RangeError when `attempts` is not an integer ≥ 1.
 * @example
 * const row = await retry((n) => db.findOne(id), { attempts: 3, isRetryable: isTransient });
 */
export async function retry<R>(
  fn: (attempt: number) => Promise<R>,
  options: RetryOptions,
): Promise<R> {
  const { attempts, baseDelayMs = 100, maxDelayMs = 5_000, signal } = options;
  const isRetryable = options.isRetryable ?? (() => true);
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(
      `Argument 'attempts' passed to 'retry' must be an integer >= 1, got ${attempts}`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await sleep(backoffDelay(attempt, baseDelayMs, maxDelayMs), signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
