/**
 * A large upload streams through in bounded memory, and a failure after chunks were written
 * leaves nothing behind (the whole dataset is one transaction).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  expectProblem,
  startDatasetService,
  storedCounts,
  type DatasetFixture,
} from './harness.js';

const ROWS = 200_000;
const COLUMNS = 20;
const HEAP_MB = 128;

let fixture: DatasetFixture;
let analyst: ReturnType<typeof client>;

/** Row i of the generated table: value (i·31 + j·17) mod 1000 / 8 in column j. */
const value = (i: number, j: number): number => ((i * 31 + j * 17) % 1000) / 8;

/** The table as a stream of ~64 KiB pieces, generated as it is sent (never whole in memory). */
function generated(rows: number, tail = ''): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const lines: string[] = [];
      if (next === 0) lines.push(Array.from({ length: COLUMNS }, (_, j) => `f${j}`).join(','));
      for (const end = Math.min(rows, next + 1_000); next < end; next++) {
        lines.push(Array.from({ length: COLUMNS }, (_, j) => value(next, j)).join(','));
      }
      controller.enqueue(encoder.encode(`${lines.join('\n')}\n`));
      if (next >= rows) {
        if (tail !== '') controller.enqueue(encoder.encode(tail));
        controller.close();
      }
    },
  });
}

/** Peak resident memory of a process in bytes (Linux), or undefined elsewhere. */
function peakRss(pid: number | undefined): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  // Old space capped well below what the parsed file would take (≈ 200k × 20 strings in row
  // arrays, some 150 MB): a service that buffered the upload would die here, a streaming one
  // holds a chunk of rows at a time.
  fixture = await startDatasetService({ NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` });
  analyst = client(
    fixture.service.baseUrl,
    (await fixture.auth.tokenFor('acme', ['analyst'])).token,
  );
});

afterAll(async () => {
  await fixture?.stop();
});

describe('large uploads', () => {
  it(`stores ${ROWS.toLocaleString('en')} rows × ${COLUMNS} columns from a stream in bounded memory`, async () => {
    const before = peakRss(fixture.service.process.pid);
    const response = await analyst('/api/v1/datasets?name=large', {
      method: 'POST',
      body: generated(ROWS),
      contentType: 'text/csv',
      duplex: 'half',
    });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    const dataset = JSON.parse(text) as {
      id: string;
      rows: number;
      bytes: number;
      columns: Array<{ type: string; mean: number; min: number; max: number }>;
      storage: { chunks: number };
    };
    expect(dataset.rows).toBe(ROWS);
    expect(dataset.columns).toHaveLength(COLUMNS);
    expect(dataset.storage.chunks).toBeGreaterThan(10);
    // Column 0 cycles through 0, 31, 62, … mod 1000 evenly: mean of k/8 over k = 0..999.
    expect(dataset.columns[0]).toMatchObject({ type: 'numeric', min: 0, max: 999 / 8 });
    expect(dataset.columns[0]!.mean).toBeCloseTo(999 / 16, 9);

    const after = peakRss(fixture.service.process.pid);
    if (before !== undefined && after !== undefined) {
      // The file is ~24 MB of text, far more once parsed; a streamed upload holds
      // one chunk of rows at a time. The bound is generous: it only catches buffering the body.
      expect(dataset.bytes).toBeGreaterThan(20 * 1024 * 1024);
      expect(after - before).toBeLessThan(150 * 1024 * 1024);
    }

    const sample = (await (
      await analyst(`/api/v1/datasets/${dataset.id}/sample?rows=3`)
    ).json()) as { rows: number[][] };
    expect(sample.rows).toEqual(
      [0, 1, 2].map((i) => Array.from({ length: COLUMNS }, (_, j) => value(i, j))),
    );
  });

  it('leaves nothing behind when the last line is ragged, after chunks were written', async () => {
    const before = await storedCounts(fixture.database.url);
    const response = await analyst('/api/v1/datasets?name=ragged', {
      method: 'POST',
      body: generated(100_000, '1,2,3\n'),
      contentType: 'text/csv',
      duplex: 'half',
    });
    const problem = await expectProblem(response, 422, 'VALIDATION_FAILED');
    expect(problem.detail).toBe(`Line 100002 has 3 values; the header has ${COLUMNS} columns.`);
    expect(await storedCounts(fixture.database.url)).toEqual(before);
  });
});
