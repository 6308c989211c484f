import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * How a chunk's payload is laid out before gzip:
 * - `float64`: the values as IEEE 754 doubles, little-endian;
 * - `float64+missing`: the same, then a bitmap of ⌈n/8⌉ bytes (bit i of byte i>>3 set = row i
 *   is missing; its double is NaN), so a missing value and a NaN in the file stay apart;
 * - `utf8-json`: a JSON array of strings and nulls (categorical and timestamp text, exactly
 *   as uploaded).
 */
export type ChunkEncoding = 'float64' | 'float64+missing' | 'utf8-json';
export const CHUNK_ENCODINGS: readonly ChunkEncoding[] = [
  'float64',
  'float64+missing',
  'utf8-json',
];

/** The values of one column over a range of rows. */
export type ChunkValues =
  | {
      readonly kind: 'numbers';
      readonly values: Float64Array;
      readonly missing: Uint8Array | undefined;
    }
  | { readonly kind: 'texts'; readonly values: ReadonlyArray<string | null> };

/** A chunk as stored: compressed payload and the SHA-256 of the uncompressed payload. */
export interface EncodedChunk {
  readonly encoding: ChunkEncoding;
  readonly payload: Buffer;
  readonly checksum: Buffer;
  /** The uncompressed payload's length, to check the column digest without recomputing it. */
  readonly rawLength: number;
}

/** A stored chunk whose payload does not match its checksum (or cannot be decoded). */
export class ChunkIntegrityError extends Error {
  override readonly name = 'ChunkIntegrityError';
}

// Typed arrays use the machine's byte order; every platform Node ships for is little-endian, and
// the stored format must not silently depend on it.
if (endianness() !== 'LE') throw new Error('dataset chunks are little-endian; this machine is not');

function rawPayload(chunk: ChunkValues): { encoding: ChunkEncoding; raw: Buffer } {
  if (chunk.kind === 'texts') {
    return { encoding: 'utf8-json', raw: Buffer.from(JSON.stringify(chunk.values), 'utf8') };
  }
  const values = Buffer.from(chunk.values.buffer, chunk.values.byteOffset, chunk.values.byteLength);
  if (chunk.missing === undefined) return { encoding: 'float64', raw: Buffer.from(values) };
  return { encoding: 'float64+missing', raw: Buffer.concat([values, chunk.missing]) };
}

/** The uncompressed payload and its SHA-256, the input of column digests. */
export function canonicalPayload(chunk: ChunkValues): {
  encoding: ChunkEncoding;
  raw: Buffer;
  checksum: Buffer;
} {
  const { encoding, raw } = rawPayload(chunk);
  return { encoding, raw, checksum: createHash('sha256').update(raw).digest() };
}

/** Compresses a chunk (off the event loop, in libuv's thread pool). */
export async function encodeChunk(chunk: ChunkValues): Promise<EncodedChunk> {
  const { encoding, raw, checksum } = canonicalPayload(chunk);
  return { encoding, payload: await gzipAsync(raw), checksum, rawLength: raw.length };
}

/**
 * Decompresses and checks a chunk of `rows` rows.
 *
 * @throws ChunkIntegrityError when the payload does not decompress, its SHA-256 differs from
 *   `checksum`, or its length does not fit `rows`.
 */
export async function decodeChunk(
  stored: { readonly encoding: string; readonly payload: Buffer; readonly checksum: Buffer },
  rows: number,
): Promise<ChunkValues> {
  let raw: Buffer;
  try {
    raw = await gunzipAsync(stored.payload);
  } catch (error) {
    throw new ChunkIntegrityError(`the payload does not decompress (${(error as Error).message})`);
  }
  if (!createHash('sha256').update(raw).digest().equals(stored.checksum)) {
    throw new ChunkIntegrityError('the payload does not match its SHA-256');
  }
  switch (stored.encoding as ChunkEncoding) {
    case 'utf8-json': {
      const values = JSON.parse(raw.toString('utf8')) as Array<string | null>;
      if (!Array.isArray(values) || values.length !== rows) {
        throw new ChunkIntegrityError(`expected ${rows} values`);
      }
      return { kind: 'texts', values };
    }
    case 'float64':
    case 'float64+missing': {
      const masked = stored.encoding === 'float64+missing';
      const expected = rows * 8 + (masked ? Math.ceil(rows / 8) : 0);
      if (raw.length !== expected) throw new ChunkIntegrityError(`expected ${expected} bytes`);
      // Copied into a fresh buffer: a Float64Array needs 8-byte alignment the Buffer may lack.
      const values = new Float64Array(rows);
      new Uint8Array(values.buffer).set(raw.subarray(0, rows * 8));
      return {
        kind: 'numbers',
        values,
        missing: masked ? new Uint8Array(raw.subarray(rows * 8)) : undefined,
      };
    }
    default:
      throw new ChunkIntegrityError(`unknown encoding "${stored.encoding}"`);
  }
}

/** Whether row `i` of a numeric chunk is missing. */
export function isMissingAt(missing: Uint8Array | undefined, i: number): boolean {
  return missing !== undefined && (missing[i >> 3]! & (1 << (i & 7))) !== 0;
}

/** A bitmap with the given rows set, or `undefined` when none is. */
export function missingBitmap(
  rows: number,
  isMissing: (i: number) => boolean,
): Uint8Array | undefined {
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < rows; i++) {
    if (isMissing(i)) {
      bitmap ??= new Uint8Array(Math.ceil(rows / 8));
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  }
  return bitmap;
}
