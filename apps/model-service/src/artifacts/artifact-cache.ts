/** The bytes of a version's artifact that passed verification, and their SHA-256. */
export interface VerifiedBytes {
  readonly bytes: Buffer;
  readonly sha256: string;
}

/**
 * Verified artifacts kept in this process, least recently used first out, bounded by total bytes.
 * A version's artifact never changes once published, so an entry never goes stale: it is keyed by
 * the version's row id and its SHA-256, and only ever filled with bytes that passed verification.
 * Only bytes are kept (not the decoded detector), so the bound is the memory actually held.
 */
export class ArtifactCache {
  private readonly entries = new Map<string, VerifiedBytes>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(
        `Argument 'maxBytes' passed to 'ArtifactCache' must be a non-negative integer`,
      );
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(versionId: string, sha256: string): VerifiedBytes | undefined {
    const entry = this.entries.get(versionId);
    if (entry === undefined || entry.sha256 !== sha256) return undefined;
    // Map iteration follows insertion order: re-inserting makes this the most recently used.
    this.entries.delete(versionId);
    this.entries.set(versionId, entry);
    return entry;
  }

  /** Keeps `artifact` unless it alone exceeds the bound; evicts the least recently used to fit. */
  set(versionId: string, artifact: VerifiedBytes): void {
    const size = artifact.bytes.length;
    if (size > this.maxBytes) return;
    const previous = this.entries.get(versionId);
    if (previous !== undefined) {
      this.entries.delete(versionId);
      this.bytes -= previous.bytes.length;
    }
    for (const [key, entry] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes.length;
    }
    this.entries.set(versionId, artifact);
    this.bytes += size;
  }
}
