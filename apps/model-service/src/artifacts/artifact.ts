import { createHash } from 'node:crypto';
import {
  canonicalJson,
  DetectionError,
  loadDetector,
  type Detector,
  type ModelDocument,
} from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';

/** Largest chunk of an artifact on the wire (gRPC's default message limit is 4 MiB). */
export const MAX_CHUNK_BYTES = 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** SHA-256 of bytes as 64 lower-case hex digits (what the registry stores and edge nodes compare). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/**
 * The artifact bytes of a document sent as JSON (the REST publish): its RFC 8785 canonical form,
 * so the same document always yields the same bytes and the same SHA-256, whoever sends it.
 *
 * @throws ServiceError `VALIDATION_FAILED` (422) for values JSON cannot carry.
 */
export function encodeDocument(document: unknown): Buffer {
  try {
    return Buffer.from(canonicalJson(document), 'utf8');
  } catch (error) {
    throw unloadable(error instanceof Error ? error.message : String(error));
  }
}

/** An artifact that passed every check: its bytes, their digest and the detector they hold. */
export interface LoadedArtifact {
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly document: ModelDocument;
  readonly detector: Detector;
}

/**
 * Loads artifact bytes offered for publication: JSON, a `nomaly.detector` document of a known
 * format version whose own seal matches its content, of an algorithm the library knows. Loading
 * it for real (rather than checking a few fields) is what guarantees a published version can be
 * served.
 *
 * @throws ServiceError `VALIDATION_FAILED` with status 422 saying what is wrong.
 */
export function loadArtifact(bytes: Buffer): LoadedArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw unloadable(`the artifact is not JSON (${(error as Error).message})`);
  }
  let detector: Detector;
  try {
    detector = loadDetector(parsed);
  } catch (error) {
    if (error instanceof DetectionError) throw unloadable(error.message);
    throw error;
  }
  return { bytes, sha256: sha256Hex(bytes), document: parsed as ModelDocument, detector };
}

/**
 * A stored artifact whose bytes no longer match the digest recorded at publication, or whose
 * document no longer loads: storage corruption or tampering. Never served; the message says which
 * version and why so an operator can act.
 */
export class ArtifactIntegrityError extends ServiceError {
  constructor(
    readonly modelId: string,
    readonly version: number,
    reason: string,
  ) {
    super(
      'INTERNAL',
      `The artifact of model ${modelId} version ${version} failed verification and is not served: ${reason}.`,
      { details: { reason: 'ARTIFACT_INTEGRITY', modelId, version } },
    );
  }
}

/**
 * Verifies stored bytes before they leave the registry: their SHA-256 against the recorded one,
 * then the document against its own seal by loading it with detection-core.
 *
 * @throws ArtifactIntegrityError when either check fails.
 */
export function verifyStoredArtifact(
  bytes: Buffer,
  expected: { modelId: string; version: number; sha256: string },
): LoadedArtifact {
  const actual = sha256Hex(bytes);
  if (actual !== expected.sha256) {
    throw new ArtifactIntegrityError(
      expected.modelId,
      expected.version,
      `SHA-256 of the stored bytes is ${actual}, the version records ${expected.sha256}`,
    );
  }
  try {
    return loadArtifact(bytes);
  } catch (error) {
    throw new ArtifactIntegrityError(
      expected.modelId,
      expected.version,
      error instanceof Error ? error.message : String(error),
    );
  }
}

/** Views of `bytes` of at most `size` bytes each, in order (no copies). */
export function chunks(bytes: Uint8Array, size = MAX_CHUNK_BYTES): Uint8Array[] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Argument 'size' passed to 'chunks' must be a positive integer`);
  }
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    out.push(bytes.subarray(offset, Math.min(offset + size, bytes.length)));
  }
  return out;
}

function unloadable(reason: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', `The model document cannot be loaded: ${reason}.`, {
    status: 422,
    errors: [{ field: 'document', message: reason }],
  });
}
