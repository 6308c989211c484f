/**
 * The buffer under kill -9: a process appends as fast as it can (group commits of several
 * records in flight at every moment) and is killed at arbitrary points, ten times, on one
 * directory. Every id it reported as appended — the moment the agent would answer the client —
 * is in the buffer when it is opened again, and nothing is there twice.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@nomaly/platform-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultBuffer } from '../src/buffer/result-buffer.js';

const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'append-until-killed.mjs',
);
const KILLS = 10;

let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Runs the appender until it has reported `atLeast` ids, then SIGKILLs it; its reported ids. */
async function appendThenKill(into: string, atLeast: number): Promise<string[]> {
  const child = spawn(process.execPath, [FIXTURE, into], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ids: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready')) return;
      ids.push(line);
      if (ids.length === atLeast) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', (code) => {
      if (ids.length < atLeast) reject(new Error(`appender exited with ${code}: ${stderr}`));
    });
  });
  const [code, signal] = (await exited) as [number | null, string | null];
  expect(signal, `exit code ${code}`).toBe('SIGKILL');
  return ids;
}

describe('the result buffer killed with SIGKILL while appending', () => {
  it(`keeps every acknowledged append through ${KILLS} kills`, async () => {
    dir = await mkdtemp(join(tmpdir(), 'nomaly-edge-crash-'));
    const acknowledged: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      // A different amount each round, so the kill lands at a different point of a write.
      acknowledged.push(...(await appendThenKill(dir, 150 + kill * 37)));
    }
    const buffer = await ResultBuffer.open({
      dir,
      maxBytes: 512 * 1024 * 1024,
      segmentBytes: 256 * 1024,
      logger: createLogger({ service: 'crash-test', level: 'silent' }),
    });
    const held = (await buffer.pending(1_000_000, 1_000_000_000)).map((item) => item.result.id);
    expect(new Set(held).size).toBe(held.length);
    const heldSet = new Set(held);
    const missing = acknowledged.filter((id) => !heldSet.has(id));
    expect(missing).toEqual([]);
    // Records written but not reported before the kill may be there too; never fewer.
    expect(held.length).toBeGreaterThanOrEqual(acknowledged.length);
    await buffer.close();
  }, 120_000);
});
