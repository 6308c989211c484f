/**
 * Where the batch function reads its CSV objects and writes their scores: S3 in AWS, a
 * directory for local runs and tests. Keys are S3 keys (`folder/file.csv`), already URL-decoded.
 */
export interface ObjectStore {
  /** @throws ObjectNotFoundError when the object does not exist. */
  get(bucket: string, key: string): Promise<Buffer>;
  put(bucket: string, key: string, body: string | Uint8Array, contentType: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';

  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`No object s3://${bucket}/${key}.`);
  }
}
