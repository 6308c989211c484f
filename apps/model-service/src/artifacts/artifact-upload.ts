import { ServiceError } from '@nomaly/platform-core';
import { isSha256Hex, MAX_CHUNK_BYTES, sha256Hex } from './artifact.js';

/** The parts of the SaveVersion stream this assembler reads. */
export interface UploadMessage<Metadata> {
  readonly metadata?: Metadata | undefined;
  readonly chunk?: Uint8Array | undefined;
}

/** What the first message must declare about the bytes that follow. */
export interface DeclaredArtifact {
  readonly sha256: string;
  readonly sizeBytes: number;
}

/**
 * Reassembles a client-streamed artifact: exactly one metadata message first, then chunks of at
 * most 1 MiB, never more bytes than declared or allowed. `finish` succeeds only when every
 * declared byte arrived and the SHA-256 over them matches, so a stream that broke off can never
 * turn into a published version. Transport-free so that every rule is unit-tested.
 */
export class ArtifactUpload<Metadata extends DeclaredArtifact> {
  private metadata: Metadata | undefined;
  private readonly parts: Buffer[] = [];
  private received = 0;

  constructor(private readonly maxBytes: number) {}

  /** @throws ServiceError `VALIDATION_FAILED` for a message out of order or over a bound. */
  accept(message: UploadMessage<Metadata>): void {
    if (message.metadata !== undefined && message.metadata !== null) {
      if (this.metadata !== undefined) throw invalid('metadata was sent twice');
      this.metadata = checkDeclared(message.metadata, this.maxBytes);
      return;
    }
    const chunk = message.chunk;
    if (chunk === undefined || chunk === null)
      throw invalid('a message carries neither metadata nor a chunk');
    if (this.metadata === undefined) throw invalid('the first message must carry the metadata');
    if (chunk.length > MAX_CHUNK_BYTES) {
      throw invalid(`a chunk of ${chunk.length} bytes exceeds the ${MAX_CHUNK_BYTES}-byte limit`);
    }
    this.received += chunk.length;
    if (this.received > this.metadata.sizeBytes) {
      throw invalid(`more bytes arrived than the ${this.metadata.sizeBytes} declared`);
    }
    this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  /**
   * The complete artifact and its metadata.
   *
   * @throws ServiceError `VALIDATION_FAILED` when the metadata or bytes are missing or the
   *   SHA-256 differs from the declared one.
   */
  finish(): { metadata: Metadata; bytes: Buffer } {
    const metadata = this.metadata;
    if (metadata === undefined) throw invalid('the stream ended without metadata');
    if (this.received !== metadata.sizeBytes) {
      throw invalid(
        `the stream ended after ${this.received} of ${metadata.sizeBytes} declared bytes`,
      );
    }
    const bytes = Buffer.concat(this.parts, this.received);
    const actual = sha256Hex(bytes);
    if (actual !== metadata.sha256) {
      throw invalid(
        `the SHA-256 of the received bytes is ${actual}, the metadata declares ${metadata.sha256}`,
      );
    }
    return { metadata, bytes };
  }
}

function checkDeclared<Metadata extends DeclaredArtifact>(
  metadata: Metadata,
  maxBytes: number,
): Metadata {
  if (!isSha256Hex(metadata.sha256)) {
    throw invalid('metadata.sha256 must be 64 lower-case hex digits');
  }
  if (!Number.isSafeInteger(metadata.sizeBytes) || metadata.sizeBytes < 1) {
    throw invalid('metadata.size_bytes must be a positive integer');
  }
  if (metadata.sizeBytes > maxBytes) {
    throw new ServiceError(
      'PAYLOAD_TOO_LARGE',
      `The artifact of ${metadata.sizeBytes} bytes exceeds the ${maxBytes}-byte limit.`,
    );
  }
  return metadata;
}

function invalid(reason: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', `SaveVersion stream rejected: ${reason}.`);
}
