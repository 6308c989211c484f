import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, sha256Hex } from './artifact.js';
import { ArtifactUpload } from './artifact-upload.js';

const bytes = Buffer.from('0123456789abcdef'.repeat(4));
const declared = { sha256: sha256Hex(bytes), sizeBytes: bytes.length };

describe(ArtifactUpload.name, () => {
  it('reassembles chunks that match the declared size and SHA-256', () => {
    const sut = new ArtifactUpload(1_000);
    sut.accept({ metadata: declared });
    sut.accept({ chunk: bytes.subarray(0, 10) });
    sut.accept({ chunk: bytes.subarray(10) });
    const { metadata, bytes: received } = sut.finish();
    expect(metadata).toBe(declared);
    expect(received.equals(bytes)).toBe(true);
  });

  it('refuses a stream that ended early', () => {
    const sut = new ArtifactUpload(1_000);
    sut.accept({ metadata: declared });
    sut.accept({ chunk: bytes.subarray(0, 10) });
    expect(() => sut.finish()).toThrow(/ended after 10 of 64 declared bytes/);
  });

  it('refuses bytes whose SHA-256 differs from the declared one', () => {
    const sut = new ArtifactUpload(1_000);
    sut.accept({ metadata: { ...declared, sha256: sha256Hex(Buffer.from('other')) } });
    sut.accept({ chunk: bytes });
    expect(() => sut.finish()).toThrow(/SHA-256 of the received bytes is/);
  });

  it('refuses messages out of order, twice the metadata, and empty messages', () => {
    expect(() => new ArtifactUpload(1_000).accept({ chunk: bytes })).toThrow(/first message/);
    const sut = new ArtifactUpload(1_000);
    sut.accept({ metadata: declared });
    expect(() => sut.accept({ metadata: declared })).toThrow(/metadata was sent twice/);
    expect(() => sut.accept({})).toThrow(/neither metadata nor a chunk/);
    expect(() => new ArtifactUpload(1_000).finish()).toThrow(/without metadata/);
  });

  it('refuses more bytes than declared, chunks over 1 MiB and artifacts over the limit', () => {
    const sut = new ArtifactUpload(1_000);
    sut.accept({ metadata: { ...declared, sizeBytes: 10 } });
    expect(() => sut.accept({ chunk: bytes })).toThrow(/more bytes arrived than the 10 declared/);
    const big = new ArtifactUpload(10 * MAX_CHUNK_BYTES);
    big.accept({ metadata: { ...declared, sizeBytes: 2 * MAX_CHUNK_BYTES } });
    expect(() => big.accept({ chunk: new Uint8Array(MAX_CHUNK_BYTES + 1) })).toThrow(
      /exceeds the 1048576-byte limit/,
    );
    expect(() => new ArtifactUpload(63).accept({ metadata: declared })).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    );
  });

  it('refuses a malformed SHA-256 or size in the metadata', () => {
    expect(() =>
      new ArtifactUpload(1_000).accept({ metadata: { ...declared, sha256: 'ABC' } }),
    ).toThrow(/64 lower-case hex digits/);
    expect(() =>
      new ArtifactUpload(1_000).accept({ metadata: { ...declared, sizeBytes: 0 } }),
    ).toThrow(/positive integer/);
  });
});
