import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, parseApiKey, safeEqualHex } from './api-keys.js';

describe(generateApiKey.name, () => {
  it('makes nmly_<8-char prefix>_<32 bytes base64url> keys', () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^nmly_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(prefix).toMatch(/^nmly_[a-z0-9]{8}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(Buffer.from(key.slice(prefix.length + 1), 'base64url')).toHaveLength(32);
  });

  it('hashes the whole key with SHA-256 (hex)', () => {
    const generated = generateApiKey();
    expect(generated.hash).toBe(createHash('sha256').update(generated.key).digest('hex'));
    expect(generated.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(generated.hash).toBe(hashApiKey(generated.key));
  });

  it('makes a different key and prefix every time', () => {
    const keys = Array.from({ length: 50 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(50);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(50);
  });
});

describe(parseApiKey.name, () => {
  it('returns the prefix and hash that generateApiKey stored', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(parseApiKey(key)).toEqual({ prefix, hash });
  });

  it('rejects garbage, another scheme, a wrong prefix or a wrong length', () => {
    const { key, prefix } = generateApiKey();
    const secret = key.slice('nmly_12345678_'.length);
    const rejected = [
      '',
      'Bearer x',
      key.replace('nmly_', 'sk_'),
      key.replace('nmly_', 'NMLY_'),
      `nmly_ABCDEFGH_${secret}`,
      `nmly_abc_${secret}`,
      `nmly_abcdefghi_${secret}`,
      `${key}A`,
      key.slice(0, -1),
      `${key.slice(0, -1)}=`,
      `${key.slice(0, -1)}+`,
      ` ${key}`,
      `${key}\n`,
      key.replace(`${prefix}_`, `${prefix}-`),
    ];
    for (const candidate of rejected) expect(parseApiKey(candidate), candidate).toBeUndefined();
  });
});

describe(hashApiKey.name, () => {
  it('is the SHA-256 hex of the key (a known vector)', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe(safeEqualHex.name, () => {
  it('compares hex digests, ignoring case', () => {
    const hash = hashApiKey('k');
    expect(safeEqualHex(hash, hash)).toBe(true);
    expect(safeEqualHex(hash, hash.toUpperCase())).toBe(true);
    expect(safeEqualHex(hash, hashApiKey('j'))).toBe(false);
  });

  it('treats different lengths, odd lengths, empty strings and non-hex as unequal', () => {
    const hash = hashApiKey('k');
    expect(safeEqualHex(hash, hash.slice(0, -2))).toBe(false);
    expect(safeEqualHex('abc', 'abc')).toBe(false);
    expect(safeEqualHex('', '')).toBe(false);
    // Node's hex decoder stops at the first bad character: both would decode to "ab".
    expect(safeEqualHex('abzz', 'abyy')).toBe(false);
    expect(safeEqualHex('zz', 'zz')).toBe(false);
  });
});
