import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { ServiceError } from '@nomaly/platform-core';

/**
 * When a declared Content-Length is over the limit, up to this many bytes (and this long) are
 * read and thrown away before the 413 goes out. Closing the connection on a client that is still
 * sending makes the client's kernel reset it, and a reset discards the 413 already received:
 * the caller — or the gateway in front — would see a broken connection instead of the answer.
 * Past the bound the connection is closed at once, as for any abusive body.
 */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

export function bodyTooLarge(limit: number): ServiceError {
  const mb = Number((limit / (1024 * 1024)).toFixed(2));
  return new ServiceError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${mb} MiB (MAX_REQUEST_SIZE_MB).`,
    { details: { limit: 'MAX_REQUEST_SIZE_MB', maxBytes: limit } },
  );
}

/** Reads `raw` to its end (at most DRAIN_MAX_BYTES, DRAIN_MAX_MS), discarding it. */
export async function drain(raw: Readable): Promise<void> {
  let read = 0;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), DRAIN_MAX_MS);
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read > DRAIN_MAX_BYTES) stop.abort();
  };
  raw.on('data', onData);
  raw.resume();
  try {
    await once(raw, 'end', { signal: stop.signal });
  } catch {
    // Too much, too slow, or the client went away: the answer goes out and the socket closes.
  } finally {
    clearTimeout(timer);
    raw.off('data', onData);
  }
}
