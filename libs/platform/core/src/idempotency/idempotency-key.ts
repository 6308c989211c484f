import { createHash } from 'node:crypto';
import { ServiceError } from '../errors/index.js';

/** Longest key accepted; UUIDs and ULIDs are far shorter, Stripe allows 255 too. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Identifies "the same request" for an idempotency key: SHA-256 (hex) of the method, the path
 * with its query, and the exact body bytes. A key reused with another fingerprint is a client
 * bug answered with 422 rather than a silent replay of a different request's response.
 */
export function requestFingerprint(
  method: string,
  path: string,
  body: string | Uint8Array,
): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n`)
    .update(body)
    .digest('hex');
}

/**
 * Reads the `Idempotency-Key` header: undefined when absent, the key otherwise. The quoted form
 * of the IETF draft (`"8e03978e-…"`, a structured-field string) is unquoted.
 *
 * A key must be 1–255 printable ASCII characters without a comma. The comma is refused because
 * Node joins a repeated header into one value with `, `: a comma is how a key sent twice arrives,
 * and a key that contains one could not be told apart from that.
 *
 * @throws ServiceError `VALIDATION_FAILED` for an empty, too long, non-printable or repeated key.
 */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalid('must appear once');
    const [only] = value;
    if (only === undefined) return undefined;
    value = only;
  }
  if (value.includes(',')) throw invalid('must appear once and contain no comma');
  const key =
    value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (key.length === 0) throw invalid('must not be empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid(`must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  if (!/^[\x20-\x7e]+$/.test(key)) throw invalid('must be printable ASCII');
  return key;
}

function invalid(reason: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', `Idempotency-Key header ${reason}`, {
    details: { header: 'Idempotency-Key' },
  });
}
