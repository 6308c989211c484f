import { describe, expect, it } from 'vitest';
import { MIN_MASTER_SECRET_LENGTH, SecretBox } from './envelope.js';

const MASTER = 'm'.repeat(16) + 'a-master-secret-for-tests-only';
const CONTEXT = 'auth/signing-keys';

/** Replaces one character of a base64url segment with another that changes its decoded bytes. */
function flipFirstChar(segment: string): string {
  return (segment.startsWith('A') ? 'B' : 'A') + segment.slice(1);
}

describe(SecretBox.name, () => {
  const sut = new SecretBox(MASTER, CONTEXT);

  it('opens what it sealed, including empty and non-ASCII text', () => {
    for (const plaintext of ['{"kty":"OKP","d":"secret"}', '', 'gr\u00fc\u00dfe \u{1F510}']) {
      expect(sut.open(sut.seal(plaintext))).toBe(plaintext);
    }
  });

  it('writes v1.<iv>.<tag>.<ciphertext> in base64url with a 12-byte IV and 16-byte tag', () => {
    const sealed = sut.seal('hello');
    const [version, iv = '', tag = '', ciphertext = '', ...rest] = sealed.split('.');
    expect(version).toBe('v1');
    expect(rest).toEqual([]);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext, 'base64url')).toHaveLength(5);
    expect(sealed).not.toContain('hello');
  });

  it('uses a fresh IV, so sealing the same text twice differs', () => {
    const a = sut.seal('same');
    const b = sut.seal('same');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('throws on a tampered IV, tag or ciphertext', () => {
    const sealed = sut.seal('the private key');
    const parts = sealed.split('.');
    for (const index of [1, 2, 3]) {
      const tampered = parts.map((part, i) => (i === index ? flipFirstChar(part) : part));
      expect(() => sut.open(tampered.join('.'))).toThrow(/authentication failed/);
    }
  });

  it('throws when an unused low bit of the last character is altered', () => {
    const sealed = sut.seal('x');
    const [version, iv, tag = ''] = sealed.split('.');
    // 16 bytes take 22 characters whose last carries 4 unused bits; flipping one decodes the same.
    const last = tag.at(-1) ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1] ?? '';
    const altered = [version, iv, tag.slice(0, -1) + twin, sealed.split('.')[3]].join('.');
    expect(Buffer.from(tag.slice(0, -1) + twin, 'base64url')).toEqual(
      Buffer.from(tag, 'base64url'),
    );
    expect(() => sut.open(altered)).toThrow(/altered/);
  });

  it('throws with another master secret or another context', () => {
    const sealed = sut.seal('the private key');
    expect(() => new SecretBox(`${MASTER}!`, CONTEXT).open(sealed)).toThrow(
      /another master secret or context/,
    );
    expect(() => new SecretBox(MASTER, 'auth/other').open(sealed)).toThrow(
      /another master secret or context/,
    );
    expect(new SecretBox(MASTER, CONTEXT).open(sealed)).toBe('the private key');
  });

  it('throws a clear error on malformed input', () => {
    for (const sealed of ['', 'plain', 'v2.a.b.c', sut.seal('x').replace('v1.', 'v0.'), 'v1...']) {
      expect(() => sut.open(sealed), sealed).toThrow(/not a sealed v1 value/);
    }
  });

  it('rejects a master secret shorter than 32 characters and an empty context', () => {
    expect(() => new SecretBox('x'.repeat(MIN_MASTER_SECRET_LENGTH - 1), CONTEXT)).toThrow(
      /at least 32 characters \(got 31\)/,
    );
    expect(() => new SecretBox('x'.repeat(MIN_MASTER_SECRET_LENGTH), CONTEXT)).not.toThrow();
    expect(() => new SecretBox(MASTER, '')).toThrow(/context/);
  });
});
