import type { Cache } from './cache.js';

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * An in-process LRU with per-entry TTLs: the cache of a service without Redis (tests, the edge
 * agent, local runs) and the fallback of the Redis cache. A `Map` keeps insertion order, so
 * re-inserting on read makes its first key the least recently used. Expired entries are dropped
 * when read and otherwise leave through the LRU order like any other, so no timer is needed.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`Argument 'maxEntries' must be an integer >= 1, got ${maxEntries}`);
    }
  }

  /** Entries held, expired ones not yet met included. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<string | undefined> {
    return settle(() => this.read(key));
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return settle(() => this.write(key, value, ttlSeconds));
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return settle(() => this.claim(key, value, ttlSeconds));
  }

  /** Like `get`, but synchronous, for the Redis cache's fallback path. */
  read(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Like `set`, but synchronous, for the Redis cache's fallback path. */
  write(key: string, value: string, ttlSeconds: number): void {
    checkTtl(ttlSeconds);
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Like `setIfAbsent`, but synchronous, for the Redis cache's fallback path. */
  claim(key: string, value: string, ttlSeconds: number): boolean {
    checkTtl(ttlSeconds);
    if (this.read(key) !== undefined) return false;
    this.write(key, value, ttlSeconds);
    return true;
  }

  /** Whether `key` is held, unexpired; does not count as a use. */
  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.now();
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  ping(): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }
}

/** Runs `fn` now and turns its result, or what it throws, into a promise. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

/** @throws RangeError unless `ttlSeconds` is a positive finite number. */
export function checkTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`Argument 'ttlSeconds' must be a positive number, got ${ttlSeconds}`);
  }
}
