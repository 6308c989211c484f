import { DetectionError, DetectionErrorCode } from '../core/errors.js';

/**
 * Binary arrays inside JSON model documents: the little-endian bytes of a typed array, base64
 * encoded, with its element type. Exact (a float64 survives bit for bit, unlike decimal text) and
 * readable from any language: `numpy.frombuffer(base64.b64decode(a["base64"]), "<f8")`.
 */
export interface BinaryArray {
  dtype: 'float64' | 'float32' | 'int32' | 'uint32' | 'uint16' | 'uint8';
  length: number;
  base64: string;
}

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

const CTORS = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
} as const;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

// The byte order of the platform; documents are always little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(a: TypedArray): BinaryArray['dtype'] {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Uint16Array) return 'uint16';
  return 'uint8';
}

/** Encodes a typed array as a {@link BinaryArray}. */
export function encodeArray(a: TypedArray): BinaryArray {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const le = LITTLE_ENDIAN ? bytes : swapBytes(bytes, a.BYTES_PER_ELEMENT);
  return { dtype: dtypeOf(a), length: a.length, base64: toBase64(le) };
}

/**
 * Decodes a {@link BinaryArray}, checking its type, length and encoding.
 *
 * @throws {DetectionError} `INVALID_MODEL` naming `what` when the value is not a valid array of
 *   `dtype` (and of `length`, when given).
 */
export function decodeArray<D extends BinaryArray['dtype']>(
  value: unknown,
  dtype: D,
  what: string,
  length?: number,
): InstanceType<(typeof CTORS)[D]> {
  const v = value as Partial<BinaryArray> | null;
  if (v === null || typeof v !== 'object' || v.dtype !== dtype || typeof v.base64 !== 'string') {
    throw invalid(`${what} must be a ${dtype} binary array`);
  }
  if (typeof v.length !== 'number' || (length !== undefined && v.length !== length)) {
    throw invalid(`${what} must hold ${length ?? 'a number of'} values, has ${String(v.length)}`);
  }
  const Ctor = CTORS[dtype];
  const bytes = fromBase64(v.base64, what);
  if (bytes.length !== v.length * Ctor.BYTES_PER_ELEMENT) {
    throw invalid(
      `${what} has ${bytes.length} bytes, expected ${v.length * Ctor.BYTES_PER_ELEMENT}`,
    );
  }
  const native = LITTLE_ENDIAN ? bytes : swapBytes(bytes, Ctor.BYTES_PER_ELEMENT);
  return new Ctor(native.buffer, native.byteOffset, v.length) as InstanceType<(typeof CTORS)[D]>;
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let b = 0; b < width; b++) out[i + b] = bytes[i + width - 1 - b]!;
  }
  return out;
}

/** RFC 4648 base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 3 * 16384;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let s = '';
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      s +=
        ALPHABET[n >> 18]! +
        ALPHABET[(n >> 12) & 63]! +
        ALPHABET[(n >> 6) & 63]! +
        ALPHABET[n & 63]!;
    }
    if (i < end) {
      const b1 = i + 1 < end ? bytes[i + 1]! : 0;
      const n = (bytes[i]! << 16) | (b1 << 8);
      s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
      s += i + 1 < end ? ALPHABET[(n >> 6) & 63]! + '=' : '==';
    }
    parts.push(s);
  }
  return parts.join('');
}

/** Decodes padded RFC 4648 base64, rejecting any other character. */
export function fromBase64(text: string, what = 'value'): Uint8Array<ArrayBuffer> {
  if (text.length % 4 !== 0) throw invalid(`${what} is not valid base64 (length ${text.length})`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let p = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i + k);
      const isPad = c === 61 && i + k >= text.length - pad;
      const v = isPad ? 0 : c < 128 ? DECODE[c]! : -1;
      if (v < 0) throw invalid(`${what} is not valid base64 (character ${i + k})`);
      n = (n << 6) | v;
    }
    if (p < out.length) out[p++] = n >> 16;
    if (p < out.length) out[p++] = (n >> 8) & 255;
    if (p < out.length) out[p++] = n & 255;
  }
  return out;
}

/**
 * The canonical JSON text of a value: RFC 8785 (JSON Canonicalization Scheme) — object keys
 * sorted by UTF-16 code units, no whitespace, numbers in ECMAScript's shortest round-trip form.
 * Any language with a JCS implementation reproduces it byte for byte, which is what makes the
 * SHA-256 of a model document checkable outside this library.
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` for values JSON cannot carry (NaN, ±Infinity,
 *   undefined inside arrays, functions).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) {
        throw new DetectionError(
          DetectionErrorCode.InvalidArgument,
          `cannot write ${value} into a JSON model document`,
        );
      }
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new DetectionError(
        DetectionErrorCode.InvalidArgument,
        `cannot write a ${typeof value} into a JSON model document`,
      );
  }
}

function invalid(message: string): DetectionError {
  return new DetectionError(DetectionErrorCode.InvalidModel, message);
}
