import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from './retry.js';

describe(retry.name, () => {
  it('retries until success and passes the attempt number', async () => {
    const seen: number[] = [];
    const result = await retry(
      (attempt) => {
        seen.push(attempt);
        return attempt < 3 ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve('ok');
      },
      { attempts: 5, baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up after `attempts` with the last error', async () => {
    let calls = 0;
    await expect(
      retry(() => Promise.reject(new Error(`fail ${++calls}`)), { attempts: 3, baseDelayMs: 1 }),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('does not retry an error that is not retryable', async () => {
    let calls = 0;
    const fatal = new Error('fatal');
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(fatal);
        },
        { attempts: 5, baseDelayMs: 1, isRetryable: (error) => error !== fatal },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('stops when the signal aborts during a back-off', async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = retry(
      () => {
        calls++;
        if (calls === 1) setImmediate(() => controller.abort(new Error('shutting down')));
        return Promise.reject(new Error('fail'));
      },
      { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal },
    );
    await expect(pending).rejects.toThrow('shutting down');
    expect(calls).toBe(1);
  });

  it('rejects an attempt count that is not an integer >= 1', async () => {
    await expect(retry(() => Promise.resolve(1), { attempts: 0 })).rejects.toThrow(RangeError);
    await expect(retry(() => Promise.resolve(1), { attempts: 1.5 })).rejects.toThrow(/attempts/);
  });
});

describe(backoffDelay.name, () => {
  it('draws within [0, min(max, base * 2^(attempt-1))] and spreads over the window', () => {
    for (const [attempt, cap] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [8, 1_000],
    ] as const) {
      const draws = Array.from({ length: 2_000 }, () => backoffDelay(attempt, 100, 1_000));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(cap);
      // Full jitter: draws fill the window rather than clustering near its cap.
      expect(Math.min(...draws)).toBeLessThan(cap * 0.05);
      expect(Math.max(...draws)).toBeGreaterThan(cap * 0.95);
    }
  });
});
