import { createHash } from 'node:crypto';
import { loadDetector, type Detector } from '@nomaly/detection-core';

/** Which model version an artifact is, for messages and logs. */
export interface ArtifactRef {
  readonly modelId: string;
  readonly version: number;
}

/**
 * An artifact whose bytes are not the ones the registry published (SHA-256 mismatch), or that
 * does not load as a model document. Such an artifact is never used.
 */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';

  constructor(
    readonly reason: 'sha256-mismatch' | 'invalid-document',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SHA-256 of bytes as 64 lower-case hex digits, as the model registry records it. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Loads a model artifact only if its bytes hash to `expectedSha256`; the document's own
 * checksum is verified again by `loadDetector`.
 *
 * @throws ArtifactError `sha256-mismatch` or `invalid-document`.
 */
export function loadVerifiedArtifact(
  bytes: Uint8Array,
  expectedSha256: string,
  ref: ArtifactRef,
): Detector {
  const actual = sha256(bytes);
  if (actual !== expectedSha256.toLowerCase()) {
    throw new ArtifactError(
      'sha256-mismatch',
      `Artifact of model ${ref.modelId} version ${ref.version}: SHA-256 is ${actual}, expected ${expectedSha256}.`,
    );
  }
  try {
    return loadDetector(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (error) {
    throw new ArtifactError(
      'invalid-document',
      `Artifact of model ${ref.modelId} version ${ref.version} is not a loadable model document: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
