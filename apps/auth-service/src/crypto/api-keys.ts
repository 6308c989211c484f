import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Marks a string as a Nomaly API key, so secret scanners (and people) recognize a leaked one.
 */
const KEY_SCHEME = 'nmly_';
/** Lower-case letters and digits: the visible prefix is read aloud and typed, and has no `_`. */
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_CHARS = 8;
/** 256 bits of secret: the key is hashed with plain SHA-256, so its entropy is the only defense. */
const SECRET_BYTES = 32;

const API_KEY_PATTERN = /^(nmly_[a-z0-9]{8})_[A-Za-z0-9_-]{43}$/;
const HEX_PATTERN = /^[0-9a-f]*$/i;

/** A new API key: `key` is shown once and never stored; `prefix` and `hash` are stored. */
export interface GeneratedApiKey {
  /** The whole key, `nmly_<8-char prefix>_<32 random bytes, base64url>`. */
  key: string;
  /** `nmly_<8 chars>`: stored and shown in lists, so users can tell their keys apart. */
  prefix: string;
  /** SHA-256 (hex) of the whole key, what the database keeps to recognize it. */
  hash: string;
}

/**
 * Creates an API key. The prefix is random rather than derived from the secret, so listing it
 * reveals nothing; it is not guaranteed unique (36^8 values), so the table keeps a unique index
 * on `hash` and looks keys up by hash, or retries on a prefix collision if it indexes the prefix.
 */
export function generateApiKey(): GeneratedApiKey {
  let prefix = KEY_SCHEME;
  for (let i = 0; i < PREFIX_CHARS; i++)
    prefix += PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)];
  const key = `${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/**
 * Checks the format of a presented key and returns its prefix and hash, or `undefined` for anything
 * that is not a well-formed Nomaly key, so garbage is answered without a database round trip.
 */
export function parseApiKey(key: string): { prefix: string; hash: string } | undefined {
  const match = API_KEY_PATTERN.exec(key);
  const prefix = match?.[1];
  if (prefix === undefined) return undefined;
  return { prefix, hash: hashApiKey(key) };
}

/**
 * SHA-256 (lower-case hex) of a whole key. A fast hash is right here, unlike for passwords: the key
 * has 256 random bits, so there is nothing to guess, and it is checked on every token exchange.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Compares two hex strings in time independent of where they differ (case-insensitive). Anything
 * but non-empty, well-formed hex of even length is unequal to everything: Node's hex decoder stops
 * at the first bad character, which would otherwise make two different bad strings compare equal.
 */
export function safeEqualHex(a: string, b: string): boolean {
  if (a.length === 0 || a.length !== b.length || a.length % 2 !== 0) return false;
  if (!HEX_PATTERN.test(a) || !HEX_PATTERN.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
