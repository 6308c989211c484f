import { createHash } from 'node:crypto';
import type { Cache } from '../cache/cache.js';
import { cacheKey } from '../cache/cache-key.js';

/** A response as replayed for a repeated request. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * What to do with a request carrying an idempotency key:
 * - `new`: run it, then `complete` with its response, or `abandon` (a 5xx, a crash) so a retry
 *   can run it again; the first of the two calls wins, later ones do nothing.
 * - `replay`: it already ran; answer the stored response.
 * - `mismatch`: the key was used for a different request (422 `IDEMPOTENCY_KEY_REUSED`).
 * - `in-progress`: the first request is still running (409 `IDEMPOTENCY_KEY_IN_USE`).
 */
export type IdempotencyBegin =
  | { kind: 'new'; complete(response: StoredResponse): Promise<void>; abandon(): Promise<void> }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

export interface IdempotencyStoreOptions {
  readonly service: string;
  /** How long a completed response is replayed. Default 24 h. */
  readonly ttlSeconds?: number;
  /**
   * How long a request may hold its key before another may take it over. Default 60 s; must
   * exceed the slowest request, or a second run may start while the first is still going.
   */
  readonly lockSeconds?: number;
}

interface IdempotencyRecord {
  readonly v: 1;
  readonly state: 'in-progress' | 'done';
  readonly fingerprint: string;
  readonly response?: StoredResponse;
}

/**
 * Idempotency keys on top of a `Cache` (the IETF `Idempotency-Key` draft, as Stripe does it).
 * One entry per (scope, key): `setIfAbsent` claims it atomically as "in progress" for
 * `lockSeconds`, and completion replaces it with the response for `ttlSeconds`.
 *
 * The entry's name is a hash of scope and key, so any scope string and key are safe in a Redis
 * key and its length is bounded.
 */
export class IdempotencyStore {
  private readonly service: string;
  private readonly ttlSeconds: number;
  private readonly lockSeconds: number;

  constructor(
    private readonly cache: Cache,
    options: IdempotencyStoreOptions,
  ) {
    this.service = options.service;
    this.ttlSeconds = options.ttlSeconds ?? 24 * 60 * 60;
    this.lockSeconds = options.lockSeconds ?? 60;
    cacheKey(this.service, 'idempotency', '-'); // a bad service name fails here, not per request
  }

  /**
   * Claims `key` within `scope` (tenant and route: the same key from two tenants is two keys)
   * for the request identified by `fingerprint` (see `requestFingerprint`).
   */
  async begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const entry = cacheKey(
      this.service,
      'idempotency',
      createHash('sha256')
        .update(JSON.stringify([scope, key]))
        .digest('hex'),
    );
    const claim = serialize({ v: 1, state: 'in-progress', fingerprint });
    // Two rounds: the entry may expire or be abandoned between our claim and our read.
    for (let round = 0; round < 2; round++) {
      if (await this.cache.setIfAbsent(entry, claim, this.lockSeconds)) {
        return this.claimed(entry, fingerprint);
      }
      const raw = await this.cache.get(entry);
      if (raw === undefined) continue;
      const record = parse(raw);
      if (record === undefined) {
        await this.cache.delete(entry); // not ours to interpret: free the key rather than wedge it
        continue;
      }
      if (record.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (record.state === 'done' && record.response !== undefined) {
        return { kind: 'replay', response: record.response };
      }
      return { kind: 'in-progress' };
    }
    return { kind: 'in-progress' };
  }

  private claimed(entry: string, fingerprint: string): IdempotencyBegin {
    let settled = false;
    return {
      kind: 'new',
      complete: async (response: StoredResponse): Promise<void> => {
        if (settled) return;
        settled = true;
        const record: IdempotencyRecord = { v: 1, state: 'done', fingerprint, response };
        await this.cache.set(entry, serialize(record), this.ttlSeconds);
      },
      abandon: async (): Promise<void> => {
        if (settled) return;
        settled = true;
        await this.cache.delete(entry);
      },
    };
  }
}

function serialize(record: IdempotencyRecord): string {
  return JSON.stringify(record);
}

function parse(raw: string): IdempotencyRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<IdempotencyRecord>;
  if (record.v !== 1 || typeof record.fingerprint !== 'string') return undefined;
  if (record.state !== 'in-progress' && record.state !== 'done') return undefined;
  return record as IdempotencyRecord;
}
