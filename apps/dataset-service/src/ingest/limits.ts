import { Transform, type TransformCallback } from 'node:stream';
import { ServiceError } from '@nomaly/platform-core';

/** Bounds on one upload; each names the variable that sets it in its error message. */
export interface UploadLimits {
  /** `MAX_REQUEST_SIZE_MB` in bytes, counted after any Content-Encoding is decoded. */
  readonly maxBytes: number;
  /** `MAX_DATASET_ROWS`. */
  readonly maxRows: number;
  /** `MAX_DATASET_COLUMNS`. */
  readonly maxColumns: number;
}

export function tooManyBytes(maxBytes: number): ServiceError {
  return new ServiceError(
    'PAYLOAD_TOO_LARGE',
    `The file is larger than ${formatBytes(maxBytes)} (MAX_REQUEST_SIZE_MB).`,
    { details: { limit: 'MAX_REQUEST_SIZE_MB', maxBytes } },
  );
}

export function tooManyRows(maxRows: number): ServiceError {
  return new ServiceError(
    'PAYLOAD_TOO_LARGE',
    `The dataset has more than ${maxRows} rows (MAX_DATASET_ROWS).`,
    { details: { limit: 'MAX_DATASET_ROWS', maxRows } },
  );
}

export function tooManyColumns(columns: number, maxColumns: number): ServiceError {
  return new ServiceError(
    'PAYLOAD_TOO_LARGE',
    `The dataset has ${columns} columns; at most ${maxColumns} are accepted (MAX_DATASET_COLUMNS).`,
    { details: { limit: 'MAX_DATASET_COLUMNS', maxColumns } },
  );
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number(mb.toFixed(2))} MiB` : `${bytes} bytes`;
}

/**
 * Passes bytes through and fails with 413 as soon as more than `maxBytes` went by. The body of
 * an upload is a stream handed to the parser, so Fastify's `bodyLimit` (which applies to
 * bodies it buffers itself) does not see it: this is where the limit holds.
 */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get bytes(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      callback(tooManyBytes(this.maxBytes));
      return;
    }
    callback(null, chunk);
  }
}
