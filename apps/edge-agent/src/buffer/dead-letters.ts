import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EdgeResult } from '@nomaly/edge-runtime';
import { fsyncDirectory } from '../storage/durable-fs.js';

/**
 * Results central refused for good (a 400/422 naming them: their detector was deleted, or they
 * no longer fit its model). They are never silently dropped: each is appended, with central's
 * reason, to `dead-letter.ndjson` in the data directory (fsynced) before it leaves the buffer,
 * for an operator to inspect or replay.
 */
export class DeadLetters {
  constructor(private readonly path: string) {}

  async add(entries: ReadonlyArray<{ result: EdgeResult; reason: string }>): Promise<void> {
    if (entries.length === 0) return;
    const at = new Date().toISOString();
    const lines = entries
      .map(({ result, reason }) => JSON.stringify({ setAsideAt: at, reason, result }))
      .join('\n');
    const handle = await open(this.path, 'a');
    let created: boolean;
    try {
      created = (await handle.stat()).size === 0;
      await handle.write(`${lines}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    // A new file is only durable once its directory entry is.
    if (created) await fsyncDirectory(dirname(this.path));
  }
}
