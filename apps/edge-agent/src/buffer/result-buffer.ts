import { mkdir, open, readdir, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdgeResult } from '@nomaly/edge-runtime';
import type { Logger } from '@nomaly/platform-core';
import { fsyncDirectory } from '../storage/durable-fs.js';
import { encodeRecord, readRecordAt, scanRecords } from './record-codec.js';

/** The buffer holds `EDGE_BUFFER_MAX_MB`: new results are refused (503), never dropped. */
export class BufferFullError extends Error {
  override readonly name = 'BufferFullError';

  constructor(
    readonly usedBytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `The result buffer is full (${usedBytes} of ${maxBytes} bytes, EDGE_BUFFER_MAX_MB): results wait for central to acknowledge them.`,
    );
  }
}

export interface ResultBufferOptions {
  readonly dir: string;
  /** Bound on the bytes of the segment files, acknowledged-but-not-yet-deleted records included. */
  readonly maxBytes: number;
  /** A segment is sealed and a new one started beyond this size; sealed segments go when acked. */
  readonly segmentBytes: number;
  readonly logger: Logger;
}

export interface BufferStats {
  /** Results not yet acknowledged by central. */
  readonly results: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly segments: number;
}

/** A buffered result, ready to upload. */
export interface BufferedResult {
  readonly result: EdgeResult;
  readonly rows: number;
}

interface Entry {
  readonly segment: Segment;
  readonly offset: number;
  readonly length: number;
  readonly rows: number;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  readonly acksPath: string;
  size: number;
  /** Records not yet acknowledged. */
  live: number;
}

interface QueuedAppend {
  readonly id: string;
  readonly rows: number;
  readonly record: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const SEGMENT = /^seg-(\d{16})\.log$/;
const ACKS = /^seg-(\d{16})\.acks$/;

const segmentName = (seq: number) => `seg-${String(seq).padStart(16, '0')}`;

/**
 * The edge agent's disk buffer of results: append-only segment files of checksummed records.
 * `append` resolves only once the record is on disk (fdatasync), so a detect answered to a client
 * is never lost to a crash. Concurrent appends share one write and one fsync (group commit).
 *
 * Records are deleted only after central acknowledged their ids: `acknowledge` appends the ids
 * to the segment's own `.acks` file (fsynced), and a segment whose every record is acknowledged
 * is removed with its `.acks` file. On open, torn tails (a crash mid-write) are cut off and the
 * results not acknowledged yet are pending again, oldest first; appends always go to a new
 * segment, so a file is never appended to after a crash.
 */
export class ResultBuffer {
  private readonly segments = new Map<number, Segment>();
  /** Unacknowledged results by id, oldest first (a Map keeps insertion order). */
  private readonly pendingEntries = new Map<string, Entry>();
  private active: { segment: Segment; handle: FileHandle } | undefined;
  private nextSeq: number;
  private bytes = 0;
  private queuedBytes = 0;
  private queue: QueuedAppend[] = [];
  private flushing = false;
  /** File-structure changes (appends, acknowledgements, rotation) one at a time. */
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  private damaged = 0;

  private constructor(
    private readonly options: ResultBufferOptions,
    nextSeq: number,
  ) {
    this.nextSeq = nextSeq;
  }

  /** Damaged stretches found on open (disk corruption, not a crash): reported in the metrics. */
  get damagedOnOpen(): number {
    return this.damaged;
  }

  static async open(options: ResultBufferOptions): Promise<ResultBuffer> {
    await mkdir(options.dir, { recursive: true });
    const names = await readdir(options.dir);
    const seqs = names
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const logger = options.logger;
    const buffer = new ResultBuffer(options, (seqs[seqs.length - 1] ?? 0) + 1);
    let changedDirectory = false;
    for (const seq of seqs) {
      const segment: Segment = {
        seq,
        path: join(options.dir, `${segmentName(seq)}.log`),
        acksPath: join(options.dir, `${segmentName(seq)}.acks`),
        size: 0,
        live: 0,
      };
      const bytes = await readFile(segment.path);
      const scan = scanRecords(bytes);
      if (scan.tornBytes > 0) {
        // Never acknowledged to a client: the append that wrote it had not returned.
        logger.warn(
          { segment: segment.path, bytes: scan.tornBytes },
          'buffer: dropping the torn tail of a write interrupted by a crash',
        );
        await truncate(segment.path, scan.validEnd);
        const handle = await open(segment.path, 'r+');
        await handle.datasync();
        await handle.close();
      }
      for (const stretch of scan.damaged) {
        logger.error(
          { segment: segment.path, offset: stretch.offset, bytes: stretch.length },
          'buffer: damaged bytes between whole records (disk corruption); the records there are lost',
        );
        buffer.damaged += 1;
      }
      const acked = await readAcks(segment.acksPath, logger);
      segment.size = scan.validEnd;
      for (const record of scan.records) {
        const result = JSON.parse(record.payload.toString('utf8')) as EdgeResult;
        if (acked.has(result.id)) continue;
        buffer.pendingEntries.set(result.id, {
          segment,
          offset: record.offset,
          length: record.length,
          rows: result.scores.length,
        });
        segment.live += 1;
      }
      if (segment.live === 0) {
        await rm(segment.path, { force: true });
        await rm(segment.acksPath, { force: true });
        changedDirectory = true;
        continue;
      }
      buffer.segments.set(seq, segment);
      buffer.bytes += segment.size;
    }
    for (const name of names) {
      const seq = ACKS.exec(name)?.[1];
      if (seq !== undefined && !buffer.segments.has(Number(seq))) {
        // The segment went first and the crash came before its acknowledgements followed it.
        await rm(join(options.dir, name), { force: true });
        changedDirectory = true;
      }
    }
    if (changedDirectory) await fsyncDirectory(options.dir);
    return buffer;
  }

  stats(): BufferStats {
    return {
      results: this.pendingEntries.size,
      bytes: this.bytes,
      maxBytes: this.options.maxBytes,
      segments: this.segments.size,
    };
  }

  /**
   * Writes a result and resolves once it is on disk.
   *
   * @throws BufferFullError when it would take the buffer over its bound (nothing is written).
   */
  append(result: EdgeResult): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The result buffer is closed.'));
    const record = encodeRecord(Buffer.from(JSON.stringify(result), 'utf8'));
    const used = this.bytes + this.queuedBytes;
    if (used + record.length > this.options.maxBytes) {
      return Promise.reject(new BufferFullError(used, this.options.maxBytes));
    }
    this.queuedBytes += record.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ id: result.id, rows: result.scores.length, record, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** The oldest unacknowledged results, at most `maxResults` of them and `maxRows` rows in all. */
  async pending(maxResults: number, maxRows: number): Promise<BufferedResult[]> {
    const chosen: Array<[string, Entry]> = [];
    let rows = 0;
    for (const [id, entry] of this.pendingEntries) {
      if (chosen.length >= maxResults) break;
      if (chosen.length > 0 && rows + entry.rows > maxRows) break;
      chosen.push([id, entry]);
      rows += entry.rows;
    }
    const out: BufferedResult[] = [];
    const bySegment = new Map<Segment, Array<[string, Entry]>>();
    for (const item of chosen) {
      const list = bySegment.get(item[1].segment) ?? [];
      list.push(item);
      bySegment.set(item[1].segment, list);
    }
    const read = new Map<string, BufferedResult>();
    for (const [segment, items] of bySegment) {
      const handle = await open(segment.path, 'r');
      try {
        for (const [id, entry] of items) {
          const bytes = Buffer.allocUnsafe(entry.length);
          await handle.read(bytes, 0, entry.length, entry.offset);
          const record = readRecordAt(bytes, 0);
          if (record === undefined) {
            this.options.logger.error(
              { segment: segment.path, offset: entry.offset, resultId: id },
              'buffer: a record changed on disk since it was written (corruption); it stays pending and is retried',
            );
            continue;
          }
          read.set(id, {
            result: JSON.parse(record.payload.toString('utf8')) as EdgeResult,
            rows: entry.rows,
          });
        }
      } finally {
        await handle.close();
      }
    }
    for (const [id] of chosen) {
      const found = read.get(id);
      if (found !== undefined) out.push(found);
    }
    return out;
  }

  /**
   * Forgets results central now holds: their ids are made durable in the `.acks` files first,
   * then every segment left with no pending result is deleted. Unknown ids are ignored.
   */
  acknowledge(ids: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      const bySegment = new Map<Segment, string[]>();
      for (const id of ids) {
        const entry = this.pendingEntries.get(id);
        if (entry === undefined) continue;
        const list = bySegment.get(entry.segment) ?? [];
        list.push(id);
        bySegment.set(entry.segment, list);
      }
      let createdFiles = false;
      for (const [segment, segmentIds] of bySegment) {
        const handle = await open(segment.acksPath, 'a');
        try {
          if ((await handle.stat()).size === 0) createdFiles = true;
          await handle.write(encodeRecord(Buffer.from(JSON.stringify(segmentIds), 'utf8')));
          await handle.datasync();
        } finally {
          await handle.close();
        }
      }
      if (createdFiles) await fsyncDirectory(this.options.dir);
      for (const [segment, segmentIds] of bySegment) {
        for (const id of segmentIds) this.pendingEntries.delete(id);
        segment.live -= segmentIds.length;
      }
      await this.removeFinishedSegments();
    });
  }

  /** Waits for appends in flight, then closes the files. */
  async close(): Promise<void> {
    this.closed = true;
    await this.exclusive(async () => {
      if (this.active !== undefined) {
        await this.active.handle.close();
        this.active = undefined;
      }
    });
  }

  private async removeFinishedSegments(): Promise<void> {
    let removed = false;
    for (const segment of [...this.segments.values()]) {
      if (segment.live > 0) continue;
      if (this.active?.segment === segment) {
        // Appends waiting for the lock go to a fresh segment, so the finished one can go.
        await this.active.handle.close();
        this.active = undefined;
      }
      await rm(segment.path, { force: true });
      await rm(segment.acksPath, { force: true });
      this.segments.delete(segment.seq);
      this.bytes -= segment.size;
      removed = true;
    }
    if (removed) await fsyncDirectory(this.options.dir);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const bytes = Buffer.concat(batch.map((item) => item.record));
        try {
          await this.exclusive(() => this.write(batch, bytes));
          for (const item of batch) item.resolve();
        } catch (error) {
          this.options.logger.error({ err: error }, 'buffer: a write failed; its detects fail');
          for (const item of batch) item.reject(error);
        } finally {
          this.queuedBytes -= bytes.length;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: readonly QueuedAppend[], bytes: Buffer): Promise<void> {
    if (
      this.active !== undefined &&
      this.active.segment.size > 0 &&
      this.active.segment.size + bytes.length > this.options.segmentBytes
    ) {
      await this.active.handle.close();
      this.active = undefined;
    }
    if (this.active === undefined) {
      const seq = this.nextSeq++;
      const segment: Segment = {
        seq,
        path: join(this.options.dir, `${segmentName(seq)}.log`),
        acksPath: join(this.options.dir, `${segmentName(seq)}.acks`),
        size: 0,
        live: 0,
      };
      const handle = await open(segment.path, 'wx');
      // The new file's directory entry must be durable before any record in it is acknowledged.
      await fsyncDirectory(this.options.dir);
      this.active = { segment, handle };
      this.segments.set(seq, segment);
    }
    const { segment, handle } = this.active;
    try {
      await handle.write(bytes, 0, bytes.length, segment.size);
      await handle.datasync();
    } catch (error) {
      // Whatever part was written is overwritten by the next write at the same offset.
      await handle.truncate(segment.size).catch(() => undefined);
      throw error;
    }
    let offset = segment.size;
    for (const item of batch) {
      this.pendingEntries.set(item.id, {
        segment,
        offset,
        length: item.record.length,
        rows: item.rows,
      });
      offset += item.record.length;
    }
    segment.size += bytes.length;
    segment.live += batch.length;
    this.bytes += bytes.length;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** The ids acknowledged for a segment; a torn last line of acks is dropped (it was not fsynced). */
async function readAcks(path: string, logger: Logger): Promise<Set<string>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
  const scan = scanRecords(bytes);
  if (scan.tornBytes > 0 || scan.damaged.length > 0) {
    logger.warn(
      { file: path, bytes: scan.tornBytes },
      'buffer: ignoring a torn acknowledgement (those results are uploaded again; central keeps one copy)',
    );
  }
  const ids = new Set<string>();
  for (const record of scan.records) {
    for (const id of JSON.parse(record.payload.toString('utf8')) as string[]) ids.add(id);
  }
  return ids;
}
