import { loadDetector } from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { trainForest } from '../../test/fixtures.js';
import {
  ArtifactIntegrityError,
  chunks,
  encodeDocument,
  loadArtifact,
  sha256Hex,
  verifyStoredArtifact,
} from './artifact.js';

describe(loadArtifact.name, () => {
  const trained = trainForest(1);
  const bytes = encodeDocument(trained.document);

  it('loads a genuine document whose detector scores like the original', () => {
    const sut = loadArtifact(bytes);
    expect(sut.sha256).toBe(sha256Hex(bytes));
    expect(sut.document.algorithm).toBe('iforest');
    expect(sut.detector.score(trained.rows)).toEqual(trained.detector.score(trained.rows));
  });

  it('encodes a document canonically: the same bytes whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(trained.document).reverse());
    expect(encodeDocument(reordered).equals(bytes)).toBe(true);
    expect(loadDetector(JSON.parse(bytes.toString('utf8')))).toBeDefined();
  });

  it('refuses with 422 a document changed after sealing, naming the seal', () => {
    const tampered = { ...trained.document, threshold: trained.document.threshold + 1 };
    const error = catching(() => loadArtifact(encodeDocument(tampered)));
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 422 });
    expect(error.message).toMatch(/does not match its sha256/);
  });

  it('refuses an unknown format version and non-JSON bytes, saying which', () => {
    const future = { ...trained.document, formatVersion: 2 };
    expect(catching(() => loadArtifact(encodeDocument(future))).message).toMatch(
      /format version 2 is not supported/,
    );
    expect(catching(() => loadArtifact(Buffer.from('{"format":'))).message).toMatch(/not JSON/);
  });
});

describe(verifyStoredArtifact.name, () => {
  const bytes = encodeDocument(trainForest(2).document);
  const expected = { modelId: 'm-1', version: 3, sha256: sha256Hex(bytes) };

  it('passes intact bytes', () => {
    expect(verifyStoredArtifact(bytes, expected).sha256).toBe(expected.sha256);
  });

  it('refuses bytes changed in storage, never loading them', () => {
    const corrupted = Buffer.from(bytes);
    const at = corrupted.length - 10;
    corrupted[at] = (corrupted[at] ?? 0) ^ 1;
    const error = catching(() => verifyStoredArtifact(corrupted, expected));
    expect(error).toBeInstanceOf(ArtifactIntegrityError);
    expect(error.message).toMatch(/model m-1 version 3 failed verification.*SHA-256/);
  });

  it('refuses bytes whose recorded digest was rewritten to match but whose seal breaks', () => {
    const document = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const rewritten = encodeDocument({ ...document, threshold: 0.01 });
    const error = catching(() =>
      verifyStoredArtifact(rewritten, { ...expected, sha256: sha256Hex(rewritten) }),
    );
    expect(error).toBeInstanceOf(ArtifactIntegrityError);
    expect(error.message).toMatch(/does not match its sha256/);
  });
});

describe(chunks.name, () => {
  it('splits into views of at most the size, in order, covering every byte', () => {
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i);
    const parts = chunks(bytes, 4);
    expect(parts.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(chunks(new Uint8Array(0), 4)).toEqual([]);
    expect(() => chunks(bytes, 0)).toThrow(RangeError);
  });
});

function catching(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
