import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ChunkIntegrityError,
  decodeChunk,
  encodeChunk,
  isMissingAt,
  missingBitmap,
} from './chunk-codec.js';

describe(encodeChunk.name, () => {
  it('round-trips doubles exactly, NaN and ±Infinity included, with missing values apart', async () => {
    const values = Float64Array.of(
      0.1,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e-310,
      Number.NaN,
    );
    const missing = missingBitmap(values.length, (i) => i === 5);
    const encoded = await encodeChunk({ kind: 'numbers', values, missing });
    expect(encoded.encoding).toBe('float64+missing');
    expect(encoded.checksum).toHaveLength(32);
    const decoded = await decodeChunk(encoded, values.length);
    if (decoded.kind !== 'numbers') throw new Error('expected numbers');
    expect(Buffer.from(decoded.values.buffer)).toEqual(Buffer.from(values.buffer));
    expect([...values.keys()].map((i) => isMissingAt(decoded.missing, i))).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('round-trips text tables and compresses repetitive data', async () => {
    const values = Array.from({ length: 10_000 }, (_, i) =>
      i % 7 === 0 ? null : `category-${i % 3}`,
    );
    const encoded = await encodeChunk({ kind: 'texts', values });
    expect(encoded.encoding).toBe('utf8-json');
    expect(encoded.payload.length).toBeLessThan(encoded.rawLength / 20);
    expect(await decodeChunk(encoded, values.length)).toEqual({ kind: 'texts', values });
  });
});

describe(decodeChunk.name, () => {
  it('refuses a payload that does not match its checksum, does not decompress or has the wrong length', async () => {
    const encoded = await encodeChunk({
      kind: 'numbers',
      values: Float64Array.of(1, 2, 3),
      missing: undefined,
    });
    const tampered = {
      ...encoded,
      payload: gzipSync(Buffer.from(Float64Array.of(1, 2, 4).buffer)),
    };
    await expect(decodeChunk(tampered, 3)).rejects.toThrow(ChunkIntegrityError);
    await expect(decodeChunk(tampered, 3)).rejects.toThrow('does not match its SHA-256');
    await expect(decodeChunk({ ...encoded, payload: Buffer.from('garbage') }, 3)).rejects.toThrow(
      'does not decompress',
    );
    await expect(decodeChunk(encoded, 4)).rejects.toThrow('expected 32 bytes');
    await expect(decodeChunk({ ...encoded, encoding: 'zstd' }, 3)).rejects.toThrow(
      'unknown encoding',
    );
  });
});
