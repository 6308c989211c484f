import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ObjectNotFoundError, type ObjectStore } from './object-store.js';

/**
 * Objects as files: `<root>/<bucket>/<key>`. Writes land whole (temporary file, then rename), as
 * an S3 PUT does; keys cannot leave their bucket's directory.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  async get(bucket: string, key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(bucket, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ObjectNotFoundError(bucket, key);
      }
      throw error;
    }
  }

  async put(bucket: string, key: string, body: string | Uint8Array): Promise<void> {
    const path = this.pathOf(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, body);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  private pathOf(bucket: string, key: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(bucket)) {
      throw new Error(`"${bucket}" is not a bucket name.`);
    }
    const base = resolve(this.root, bucket);
    const path = resolve(join(base, key));
    if (!path.startsWith(`${base}${sep}`)) {
      throw new Error(`Key "${key}" leaves bucket ${bucket}.`);
    }
    return path;
  }
}
