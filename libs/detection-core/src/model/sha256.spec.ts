import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Random } from '../core/random.js';
import { sha256Hex, utf8 } from './sha256.js';

describe(sha256Hex.name, () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(sha256Hex(utf8(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(utf8('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it("agrees with Node's crypto on every length around the block boundaries", () => {
    const rng = new Random(1);
    for (let n = 0; n < 300; n++) {
      const bytes = Uint8Array.from({ length: n }, () => rng.int(256));
      expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('encodes UTF-8 as TextEncoder does, astral characters and lone surrogates included', () => {
    for (const s of ['héllo', '日本語', '😀 ok', 'a\ud800b', '']) {
      expect(Array.from(utf8(s))).toEqual(Array.from(new TextEncoder().encode(s)));
    }
  });
});
