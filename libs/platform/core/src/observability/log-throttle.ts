/**
 * Lets one message per key through each interval and counts the ones held back, so a dependency
 * that fails on every call (Redis down under load) logs a line every few seconds instead of one
 * per request, and the line still says how many were swallowed.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs: number) {}

  /**
   * Returns how many messages of `key` were suppressed since the last one let through, or
   * `undefined` when this one should be suppressed.
   */
  take(key: string, now: number = Date.now()): number | undefined {
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed += 1;
      return undefined;
    }
    this.last.set(key, { at: now, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }

  /** Forgets `key`, so its next message is logged at once (e.g. after a recovery). */
  reset(key: string): void {
    this.last.delete(key);
  }
}
