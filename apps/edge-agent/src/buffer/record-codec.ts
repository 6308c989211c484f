import { crc32 } from 'node:zlib';

/**
 * The framing of the buffer's append-only files: each record is a 12-byte header — magic
 * `NMR1`, payload length, CRC-32 of the payload (all big-endian u32) — then the payload. A crash
 * (kill -9, power loss) can leave the last record of a file partly written; the scan finds it
 * because its length runs past the end of the file or its checksum does not match, and it was
 * never acknowledged to anyone (appends answer only after fsync).
 */
export const RECORD_MAGIC = 0x4e4d5231;
export const RECORD_HEADER_BYTES = 12;
/** No payload is this large (a 10,000-row result is ~400 KB); a bigger length is garbage. */
export const MAX_RECORD_PAYLOAD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32BE(RECORD_MAGIC, 0);
  record.writeUInt32BE(payload.length, 4);
  record.writeUInt32BE(crc32(payload), 8);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

export interface ScannedRecord {
  /** Where the record (its header) starts in the file. */
  readonly offset: number;
  /** Header and payload. */
  readonly length: number;
  readonly payload: Buffer;
}

export interface ScanResult {
  readonly records: ScannedRecord[];
  /** End of the last whole record: what the file is truncated to when bytes follow it. */
  readonly validEnd: number;
  /** Bytes after `validEnd`: a torn last write. */
  readonly tornBytes: number;
  /** Damaged stretches between whole records (not a torn tail: whole records follow them). */
  readonly damaged: ReadonlyArray<{ readonly offset: number; readonly length: number }>;
}

/** The whole record at `offset`, or undefined when the bytes there are not one. */
export function readRecordAt(bytes: Buffer, offset: number): ScannedRecord | undefined {
  if (offset + RECORD_HEADER_BYTES > bytes.length) return undefined;
  if (bytes.readUInt32BE(offset) !== RECORD_MAGIC) return undefined;
  const size = bytes.readUInt32BE(offset + 4);
  if (size > MAX_RECORD_PAYLOAD_BYTES) return undefined;
  const end = offset + RECORD_HEADER_BYTES + size;
  if (end > bytes.length) return undefined;
  const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, end);
  if (crc32(payload) !== bytes.readUInt32BE(offset + 8)) return undefined;
  return { offset, length: RECORD_HEADER_BYTES + size, payload };
}

/**
 * Every whole record of a file. Where the bytes stop being a record, the scan looks for the next
 * whole one: if there is none the rest is a torn tail; if there is, the stretch between is
 * reported as damage (bit rot, not a crash) and the records after it are kept.
 */
export function scanRecords(bytes: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  const damaged: Array<{ offset: number; length: number }> = [];
  const magic = Buffer.alloc(4);
  magic.writeUInt32BE(RECORD_MAGIC, 0);
  let offset = 0;
  while (offset < bytes.length) {
    const record = readRecordAt(bytes, offset);
    if (record !== undefined) {
      records.push(record);
      offset += record.length;
      continue;
    }
    let next = bytes.indexOf(magic, offset + 1);
    while (next !== -1 && readRecordAt(bytes, next) === undefined) {
      next = bytes.indexOf(magic, next + 1);
    }
    if (next === -1) break;
    damaged.push({ offset, length: next - offset });
    offset = next;
  }
  const last = records[records.length - 1];
  const validEnd = last === undefined ? 0 : last.offset + last.length;
  return { records, validEnd, tornBytes: bytes.length - validEnd, damaged };
}
