import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  expectProblem,
  startDatasetService,
  storedCounts,
  type DatasetFixture,
} from './harness.js';

/** Small limits so that each one is reached with a small file. */
const LIMITS = { MAX_REQUEST_SIZE_MB: '1', MAX_DATASET_ROWS: '1000', MAX_DATASET_COLUMNS: '20' };

let fixture: DatasetFixture;
let analyst: ReturnType<typeof client>;

beforeAll(async () => {
  fixture = await startDatasetService(LIMITS);
  analyst = client(
    fixture.service.baseUrl,
    (await fixture.auth.tokenFor('acme', ['analyst'])).token,
  );
});

afterAll(async () => {
  await fixture?.stop();
});

async function rejected(
  body: RequestInit['body'],
  contentType: string | undefined,
  status: number,
  code: string,
): Promise<string> {
  const response = await analyst('/api/v1/datasets?name=bad', {
    method: 'POST',
    body,
    ...(contentType === undefined ? {} : { contentType }),
  });
  const problem = await expectProblem(response, status, code);
  // Nothing of a rejected upload is ever visible.
  expect(await storedCounts(fixture.database.url)).toEqual({ datasets: 0, chunks: 0 });
  return problem.detail;
}

describe('rejected uploads store nothing', () => {
  it('an empty file: 422', async () => {
    expect(await rejected('', 'text/csv', 422, 'VALIDATION_FAILED')).toMatch(/empty/);
    expect(await rejected('[]', 'application/json', 422, 'VALIDATION_FAILED')).toMatch(/empty/);
  });

  it('a header only: 422', async () => {
    expect(await rejected('a,b,c\n', 'text/csv', 422, 'VALIDATION_FAILED')).toBe(
      'The file has a header but no rows.',
    );
  });

  it('ragged rows: 422 naming the line', async () => {
    expect(await rejected('a,b\n1,2\n3,4,5\n', 'text/csv', 422, 'VALIDATION_FAILED')).toBe(
      'Line 3 has 3 values; the header has 2 columns.',
    );
    // (A ragged row after chunks were already written is in large.spec.ts.)
    const late = `a,b\n${'1,2\n'.repeat(900)}7\n`;
    expect(await rejected(late, 'text/csv', 422, 'VALIDATION_FAILED')).toBe(
      'Line 902 has 1 values; the header has 2 columns.',
    );
  });

  it('malformed JSON and NDJSON: 422 saying where', async () => {
    expect(await rejected('[{"a":1},{"a":', 'application/json', 422, 'VALIDATION_FAILED')).toMatch(
      /^The JSON is malformed/,
    );
    expect(
      await rejected('{"a":1}\n{"a":2\n', 'application/x-ndjson', 422, 'VALIDATION_FAILED'),
    ).toMatch(/^Line 2 is not valid JSON/);
  });

  it('too many rows: 413 naming MAX_DATASET_ROWS', async () => {
    const detail = await rejected(`a\n${'1\n'.repeat(1001)}`, 'text/csv', 413, 'PAYLOAD_TOO_LARGE');
    expect(detail).toBe('The dataset has more than 1000 rows (MAX_DATASET_ROWS).');
  });

  it('too many columns: 413 naming MAX_DATASET_COLUMNS', async () => {
    const header = Array.from({ length: 21 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 21 }, () => '1').join(',');
    const detail = await rejected(`${header}\n${row}\n`, 'text/csv', 413, 'PAYLOAD_TOO_LARGE');
    expect(detail).toBe(
      'The dataset has 21 columns; at most 20 are accepted (MAX_DATASET_COLUMNS).',
    );
  });

  it('more bytes than MAX_REQUEST_SIZE_MB while streaming: 413', async () => {
    // 600 rows of 2 KB, sent chunked (no Content-Length): the limit holds on what arrives.
    const encoder = new TextEncoder();
    const row = encoder.encode(`${'x'.repeat(2000)},1\n`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(encoder.encode('text,n\n'));
        if (sent === 600) controller.close();
        else controller.enqueue(row);
        sent += 1;
      },
    });
    const response = await analyst('/api/v1/datasets?name=bad', {
      method: 'POST',
      body,
      contentType: 'text/csv',
      duplex: 'half',
    });
    const problem = await expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(problem.detail).toBe('The file is larger than 1 MiB (MAX_REQUEST_SIZE_MB).');
    expect(await storedCounts(fixture.database.url)).toEqual({ datasets: 0, chunks: 0 });
  });

  it('a claimed 2 GB Content-Length: 413 at once, before the body is read', async () => {
    const url = new URL('/api/v1/datasets?name=huge', fixture.service.baseUrl);
    const { token } = await fixture.auth.tokenFor('acme', ['analyst']);
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(url, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'text/csv',
            'Content-Length': String(2 * 1024 ** 3),
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text });
            req.destroy();
          });
        });
        req.on('error', reject);
        req.write('a,b\n1,2\n');
      },
    );
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      limit: 'MAX_REQUEST_SIZE_MB',
    });
    expect(await storedCounts(fixture.database.url)).toEqual({ datasets: 0, chunks: 0 });
  });

  it('an unsupported media type: 415; a missing name: 400', async () => {
    expect(
      await rejected('a,b\n1,2\n', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'),
    ).toBeTruthy();
    const form = new FormData();
    form.append('file', new Blob(['x'], { type: 'image/png' }), 'picture.png');
    expect(await rejected(form, undefined, 415, 'UNSUPPORTED_MEDIA_TYPE')).toContain('picture.png');
    const response = await analyst('/api/v1/datasets', {
      method: 'POST',
      body: 'a\n1\n',
      contentType: 'text/csv',
    });
    await expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(await storedCounts(fixture.database.url)).toEqual({ datasets: 0, chunks: 0 });
  });

  it('an unknown label column: 422', async () => {
    const response = await analyst('/api/v1/datasets?name=bad&labelColumn=nope', {
      method: 'POST',
      body: 'a\n1\n',
      contentType: 'text/csv',
    });
    expect((await expectProblem(response, 422, 'VALIDATION_FAILED')).detail).toBe(
      'labelColumn "nope" is not a column of the file.',
    );
    expect(await storedCounts(fixture.database.url)).toEqual({ datasets: 0, chunks: 0 });
  });

  it('a non-numeric value in a numeric-looking column is accepted, as categorical, and said so', async () => {
    const response = await analyst('/api/v1/datasets?name=ok', {
      method: 'POST',
      body: 'f\n1\n2\nn/a\n',
      contentType: 'text/csv',
    });
    expect(response.status).toBe(201);
    const dataset = (await response.json()) as { columns: Array<{ type: string; note?: string }> };
    expect(dataset.columns[0]).toMatchObject({
      type: 'categorical',
      note: 'categorical: 2 of 3 values are numbers, but "n/a" is not',
    });
  });
});
