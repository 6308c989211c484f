import type { Detector } from '@nomaly/detection-core';

/**
 * Loaded models by `modelId:version`. Versions are immutable, so an entry never goes stale; the
 * bound is on the size of their documents (a proxy for memory), least recently used out first.
 */
export class ModelCache {
  private readonly entries = new Map<string, { detector: Detector; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Detector | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Re-insert: Map order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.detector;
  }

  set(key: string, detector: Detector, bytes: number): void {
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.bytes -= previous.bytes;
      this.entries.delete(key);
    }
    this.entries.set(key, { detector, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
