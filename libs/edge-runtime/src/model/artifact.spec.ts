import { canonicalJson, createDetector, Matrix } from '@nomaly/detection-core';
import { describe, expect, it } from 'vitest';
import { ArtifactError, loadVerifiedArtifact, sha256 } from './artifact.js';

const ref = { modelId: '0b0c1f2a-1111-4222-8333-944455556666', version: 2 };

function artifact(): Uint8Array {
  const detector = createDetector('hbos').fit(Matrix.fromRows([[0], [1], [2], [3], [10]]));
  return new TextEncoder().encode(canonicalJson(detector.toJSON()));
}

function errorOf(run: () => unknown): ArtifactError {
  try {
    run();
  } catch (error) {
    if (error instanceof ArtifactError) return error;
    throw error;
  }
  throw new Error('expected an ArtifactError');
}

describe(loadVerifiedArtifact.name, () => {
  it('loads an artifact whose bytes match the SHA-256', () => {
    const bytes = artifact();
    const detector = loadVerifiedArtifact(bytes, sha256(bytes), ref);
    expect(detector.algorithm).toBe('hbos');
    expect(Array.from(detector.score(Matrix.fromRows([[10]])))).toHaveLength(1);
  });

  it('refuses bytes changed by one bit, naming the model, both digests and never loading them', () => {
    const bytes = artifact();
    const expected = sha256(bytes);
    const tampered = Uint8Array.from(bytes);
    const at = tampered.length - 5;
    tampered[at] = (tampered[at] as number) ^ 1;
    const error = errorOf(() => loadVerifiedArtifact(tampered, expected, ref));
    expect(error.reason).toBe('sha256-mismatch');
    expect(error.message).toContain(ref.modelId);
    expect(error.message).toContain(expected);
    expect(error.message).toContain(sha256(tampered));
  });

  it('refuses a document that hashes right but is not a model', () => {
    const bytes = new TextEncoder().encode('{"format":"something-else"}');
    const error = errorOf(() => loadVerifiedArtifact(bytes, sha256(bytes), ref));
    expect(error.reason).toBe('invalid-document');
  });
});
