import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { EdgeResult } from '@nomaly/edge-runtime';
import { createLogger } from '@nomaly/platform-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecord } from './record-codec.js';
import { BufferFullError, ResultBuffer } from './result-buffer.js';

const DETECTOR = '2f7a1c4e-58b1-4c9a-a7f6-0d3b8e1f2a45';
const MODEL = '9c3e2d1b-6a5f-4e8d-b7c9-1a2b3c4d5e6f';

function result(rows = 3): EdgeResult {
  return {
    id: randomUUID(),
    detectorId: DETECTOR,
    modelId: MODEL,
    modelVersion: 1,
    scoredAt: new Date().toISOString(),
    scores: Array.from({ length: rows }, (_, i) => 0.1 * (i + 1)),
    labels: Array.from({ length: rows }, (_, i) => (i === 0 ? 1 : 0)),
    threshold: 0.5,
  };
}

let dir: string;
let logLines: Array<{ msg: string; level: string }>;

function logger() {
  return createLogger({
    service: 'edge-agent-test',
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString('utf8')) as { msg: string; level: string });
        done();
      },
    }),
  });
}

let opened: ResultBuffer[] = [];

async function open(maxBytes = 1024 * 1024, segmentBytes = 64 * 1024): Promise<ResultBuffer> {
  const buffer = await ResultBuffer.open({ dir, maxBytes, segmentBytes, logger: logger() });
  opened.push(buffer);
  return buffer;
}

async function pendingIds(buffer: ResultBuffer): Promise<string[]> {
  return (await buffer.pending(100_000, 10_000_000)).map((item) => item.result.id);
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nomaly-edge-buffer-'));
  logLines = [];
});

afterEach(async () => {
  await Promise.all(opened.map((buffer) => buffer.close()));
  opened = [];
  await rm(dir, { recursive: true, force: true });
});

describe(ResultBuffer.name, () => {
  it('keeps every appended result across a reopen, oldest first, byte for byte', async () => {
    const sut = await open();
    const written = Array.from({ length: 20 }, () => result());
    for (const r of written) await sut.append(r);
    await sut.close();

    const reopened = await open();
    const pending = await reopened.pending(100, 1_000);
    expect(pending.map((item) => item.result)).toEqual(written);
    expect(reopened.stats().results).toBe(20);
  });

  it('shares one write among concurrent appends and loses none of them', async () => {
    const sut = await open();
    const written = Array.from({ length: 300 }, () => result());
    await Promise.all(written.map((r) => sut.append(r)));
    await sut.close();
    const reopened = await open();
    expect(new Set(await pendingIds(reopened))).toEqual(new Set(written.map((r) => r.id)));
  });

  it('deletes only acknowledged results, and a segment once all of it is acknowledged', async () => {
    const sut = await open(1024 * 1024, 2 * 1024);
    const written = Array.from({ length: 40 }, () => result(10));
    for (const r of written) await sut.append(r);
    const segmentsBefore = (await segmentFiles()).length;
    expect(segmentsBefore).toBeGreaterThan(2);

    const acked = written.slice(0, 25).map((r) => r.id);
    await sut.acknowledge([...acked, randomUUID()]);
    expect(await pendingIds(sut)).toEqual(written.slice(25).map((r) => r.id));
    expect((await segmentFiles()).length).toBeLessThan(segmentsBefore);
    await sut.close();

    const reopened = await open(1024 * 1024, 2 * 1024);
    expect(await pendingIds(reopened)).toEqual(written.slice(25).map((r) => r.id));
    await reopened.acknowledge(written.slice(25).map((r) => r.id));
    expect(await segmentFiles()).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.endsWith('.acks'))).toEqual([]);
    expect(reopened.stats()).toMatchObject({ results: 0, bytes: 0, segments: 0 });
  });

  it('cuts off a torn last record (a crash mid-write) and keeps every whole one', async () => {
    const sut = await open();
    const written = [result(), result(), result()];
    for (const r of written) await sut.append(r);
    await sut.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment as string);
    const whole = (await readFile(path)).length;
    const torn = encodeRecord(Buffer.from(JSON.stringify(result())));
    await appendFile(path, torn.subarray(0, torn.length - 7));

    const reopened = await open();
    expect(await pendingIds(reopened)).toEqual(written.map((r) => r.id));
    expect((await readFile(path)).length).toBe(whole);
    expect(logLines.some((l) => l.level === 'warn' && /torn tail/.test(l.msg))).toBe(true);

    // Appends after the crash go to a new segment; the old one is never appended to.
    const after = result();
    await reopened.append(after);
    expect((await segmentFiles()).length).toBe(2);
    expect((await pendingIds(reopened)).at(-1)).toBe(after.id);
  });

  it('treats a torn acknowledgement as not acknowledged (sent again, never lost)', async () => {
    const sut = await open();
    const [a, b] = [result(), result()];
    await sut.append(a);
    await sut.append(b);
    await sut.acknowledge([a.id]);
    await sut.close();
    const [acks] = (await readdir(dir)).filter((name) => name.endsWith('.acks'));
    const torn = encodeRecord(Buffer.from(JSON.stringify([b.id])));
    await appendFile(join(dir, acks as string), torn.subarray(0, 10));

    const reopened = await open();
    expect(await pendingIds(reopened)).toEqual([b.id]);
  });

  it('keeps the records after a damaged one and reports the damage', async () => {
    const sut = await open();
    const written = [result(), result(), result()];
    for (const r of written) await sut.append(r);
    await sut.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment as string);
    const bytes = await readFile(path);
    const first = encodeRecord(Buffer.from(JSON.stringify(written[0]))).length;
    bytes[first + 20] = (bytes[first + 20] as number) ^ 0xff; // inside the second record
    await writeFile(path, bytes);

    const reopened = await open();
    expect(await pendingIds(reopened)).toEqual([written[0]?.id, written[2]?.id]);
    expect(reopened.damagedOnOpen).toBe(1);
    expect(logLines.some((l) => l.level === 'error' && /damaged/.test(l.msg))).toBe(true);
  });

  it('refuses appends over its bound without writing them, and takes them again once acknowledged', async () => {
    const one = encodeRecord(Buffer.from(JSON.stringify(result()))).length;
    const sut = await open(one * 5 + 10, one * 2);
    const kept: EdgeResult[] = [];
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const r = result();
      try {
        await sut.append(r);
        kept.push(r);
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toBeInstanceOf(BufferFullError);
    expect((refused as Error).message).toMatch(/full .*EDGE_BUFFER_MAX_MB/);
    expect(kept).toHaveLength(5);
    expect(await pendingIds(sut)).toEqual(kept.map((r) => r.id));

    await sut.acknowledge(kept.slice(0, 4).map((r) => r.id));
    const later = result();
    await sut.append(later);
    expect(await pendingIds(sut)).toEqual([kept[4]?.id, later.id]);
  });

  it('bounds a batch by results and by rows, always taking at least one', async () => {
    const sut = await open();
    const written = [result(4), result(4), result(4), result(50)];
    for (const r of written) await sut.append(r);
    expect((await sut.pending(2, 1_000)).map((i) => i.result.id)).toEqual(
      written.slice(0, 2).map((r) => r.id),
    );
    expect((await sut.pending(10, 9)).map((i) => i.result.id)).toEqual(
      written.slice(0, 2).map((r) => r.id),
    );
    await sut.acknowledge(written.slice(0, 3).map((r) => r.id));
    expect((await sut.pending(10, 9)).map((i) => i.rows)).toEqual([50]);
  });
});
