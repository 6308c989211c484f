import { describe, expect, it } from 'vitest';
import { DetectionErrorCode } from '../core/errors.js';
import { Random } from '../core/random.js';
import { canonicalJson, decodeArray, encodeArray, fromBase64, toBase64 } from './encoding.js';

describe('binary arrays', () => {
  it('round-trip every dtype bit for bit, including NaN payloads and -0', () => {
    const f = Float64Array.from([0, -0, 1.5, -1e308, 5e-324, Number.NaN, Infinity]);
    const back = decodeArray(JSON.parse(JSON.stringify(encodeArray(f))) as unknown, 'float64', 'f');
    expect(new Uint8Array(back.buffer)).toEqual(new Uint8Array(f.buffer));
    const i = Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect(decodeArray(encodeArray(i), 'int32', 'i')).toEqual(i);
    const u = Uint8Array.from([0, 255, 7]);
    expect(decodeArray(encodeArray(u), 'uint8', 'u')).toEqual(u);
  });

  it('are little-endian base64 that other languages can read', () => {
    expect(encodeArray(Int32Array.from([1]))).toEqual({
      dtype: 'int32',
      length: 1,
      base64: 'AQAAAA==',
    });
  });

  it('reject a wrong dtype, length or encoding with INVALID_MODEL naming the field', () => {
    const a = encodeArray(Float64Array.from([1, 2]));
    const bad = (v: unknown, len?: number) => () => decodeArray(v, 'float64', 'state.x', len);
    expect(bad({ ...a, dtype: 'int32' })).toThrow(/state.x must be a float64 binary array/);
    expect(bad(a, 3)).toThrow(/state.x must hold 3 values/);
    expect(bad({ ...a, base64: 'AAAA' })).toThrow(/has 3 bytes/);
    expect(bad({ ...a, base64: 'AA!A' + a.base64.slice(4) })).toThrow(
      expect.objectContaining({ code: DetectionErrorCode.InvalidModel }),
    );
  });
});

describe('base64', () => {
  it("agrees with Node's Buffer for every length", () => {
    const rng = new Random(3);
    for (let n = 0; n < 200; n++) {
      const bytes = Uint8Array.from({ length: n }, () => rng.int(256));
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(text)).toEqual(bytes);
    }
  });
});

describe(canonicalJson.name, () => {
  it('sorts keys, drops whitespace and writes numbers as ECMAScript does (RFC 8785)', () => {
    expect(canonicalJson({ b: [1, 2.5, 'x'], a: { d: null, c: true }, u: undefined })).toBe(
      '{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}',
    );
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ x: Infinity })).toThrow(/Infinity/);
  });
});
