import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { eventually, runCli, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  expectProblem,
  sharedDir,
  startDatasetService,
  type DatasetFixture,
} from './harness.js';

let fixture: DatasetFixture;
let analyst: ReturnType<typeof client>;
let viewer: ReturnType<typeof client>;
let other: ReturnType<typeof client>;

interface Dataset {
  id: string;
  name: string;
  version: number;
  rows: number;
  columnCount: number;
  labelColumn?: string;
  checksum: string;
  columns: Array<Record<string, unknown> & { name: string; type: string }>;
  quality: Record<string, unknown>;
}

const CSV = 'x,y,city,label\n1,10,Paris,0\n2,20,Oslo,0\n3,30,Paris,1\n4,,Rome,0\n';

async function upload(
  call: ReturnType<typeof client>,
  name: string,
  body: RequestInit['body'],
  contentType?: string,
  extra = '',
  headers: Record<string, string> = {},
): Promise<Dataset> {
  const response = await call(`/api/v1/datasets?name=${encodeURIComponent(name)}${extra}`, {
    method: 'POST',
    body,
    headers,
    ...(contentType === undefined ? {} : { contentType }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as Dataset;
}

beforeAll(async () => {
  fixture = await startDatasetService();
  analyst = client(
    fixture.service.baseUrl,
    (await fixture.auth.tokenFor('acme', ['analyst'])).token,
  );
  viewer = client(fixture.service.baseUrl, (await fixture.auth.tokenFor('acme', ['viewer'])).token);
  other = client(fixture.service.baseUrl, (await fixture.auth.tokenFor('globex')).token);
});

afterAll(async () => {
  await fixture?.stop();
});

describe('migrations', () => {
  it('created the dataset schema, with its migrations table inside it', async () => {
    const tables = await sql<{ table_name: string }>(
      fixture.database.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'dataset' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['dataset_chunks', 'datasets', 'migrations']);
    const status = await runCli('dataset-service', fixture.service.env, ['migrate', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('InitialDatasetSchema1764300000000');
  });
});

describe('POST /api/v1/datasets', () => {
  it('stores a CSV upload and answers 201 with schema, statistics and quality', async () => {
    const dataset = await upload(analyst, 'sensors', CSV, 'text/csv');
    expect(dataset).toMatchObject({
      name: 'sensors',
      version: 1,
      rows: 4,
      columnCount: 4,
      labelColumn: 'label',
    });
    expect(dataset.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(dataset.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(dataset.columns.map((c) => [c.name, c.type, c['role']])).toEqual([
      ['x', 'numeric', 'feature'],
      ['y', 'numeric', 'feature'],
      ['city', 'categorical', 'feature'],
      ['label', 'numeric', 'label'],
    ]);
    // x = 1..4: mean 2.5, sample std √(5/3), quartiles 1.75 / 2.5 / 3.25 (numpy's default).
    expect(dataset.columns[0]).toMatchObject({
      count: 4,
      missing: 0,
      mean: 2.5,
      min: 1,
      p25: 1.75,
      p50: 2.5,
      p75: 3.25,
      max: 4,
    });
    expect(dataset.columns[0]!['std']).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(dataset.columns[1]).toMatchObject({ count: 3, missing: 1, mean: 20, p50: 20 });
    expect(dataset.quality).toMatchObject({
      missingValues: { total: 1, byColumn: { y: 1 } },
      duplicateRows: 0,
    });
  });

  it('reads JSON records, a JSON table, NDJSON and multipart to the same data and checksum', async () => {
    const records = JSON.stringify([
      { x: 1, y: 10, city: 'Paris', label: 0 },
      { x: 2, y: 20, city: 'Oslo', label: 0 },
      { x: 3, y: 30, city: 'Paris', label: 1 },
      { x: 4, y: null, city: 'Rome', label: 0 },
    ]);
    const table = JSON.stringify({
      columns: ['x', 'y', 'city', 'label'],
      rows: [
        [1, 10, 'Paris', 0],
        [2, 20, 'Oslo', 0],
        [3, 30, 'Paris', 1],
        [4, null, 'Rome', 0],
      ],
    });
    const ndjson = (JSON.parse(records) as unknown[]).map((r) => JSON.stringify(r)).join('\n');
    const form = new FormData();
    form.append('file', new Blob([CSV], { type: 'text/csv' }), 'sensors.csv');
    const csv = await upload(analyst, 'formats', CSV, 'text/csv');
    const uploads = [
      await upload(analyst, 'formats', records, 'application/json'),
      await upload(analyst, 'formats', table, 'application/json'),
      await upload(analyst, 'formats', ndjson, 'application/x-ndjson'),
      await upload(analyst, 'formats', form),
      // Content-Encoding is decoded before parsing (and the byte limit counts decoded bytes).
      await upload(analyst, 'formats', gzipSync(CSV), 'text/csv', '', {
        'Content-Encoding': 'gzip',
      }),
    ];
    expect(uploads.map((d) => d.version)).toEqual([2, 3, 4, 5, 6]);
    for (const dataset of uploads) {
      expect(dataset.rows).toBe(4);
      expect(dataset.checksum).toBe(csv.checksum);
    }
  });

  it('honours ?labelColumn= and explains a column made categorical by one value', async () => {
    const dataset = await upload(
      analyst,
      'mixed',
      'a,b,target\n1,5,1\n2,oops,0\n3,7,0\n',
      'text/csv',
      '&labelColumn=target',
    );
    expect(dataset.labelColumn).toBe('target');
    expect(dataset.columns[1]).toMatchObject({
      name: 'b',
      type: 'categorical',
      note: 'categorical: 2 of 3 values are numbers, but "oops" is not',
    });
  });

  it('is for analysts: a viewer gets 403 and nothing is stored', async () => {
    const before = await sql(fixture.database.url, 'SELECT id FROM dataset.datasets');
    const response = await viewer('/api/v1/datasets?name=nope', {
      method: 'POST',
      body: CSV,
      contentType: 'text/csv',
    });
    await expectProblem(response, 403, 'FORBIDDEN');
    expect(await sql(fixture.database.url, 'SELECT id FROM dataset.datasets')).toHaveLength(
      before.length,
    );
  });
});

describe('reading datasets', () => {
  let dataset: Dataset;
  beforeAll(async () => {
    dataset = await upload(
      analyst,
      'readable',
      'v,when,tag\n1.5,2024-01-01,a\nNaN,2024-01-02,\n,2024-01-03,c\n-2,2024-01-04,d\n',
      'text/csv',
    );
  });

  it('gets one dataset and its quality report; viewers may read', async () => {
    const response = await viewer(`/api/v1/datasets/${dataset.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: dataset.id,
      checksum: dataset.checksum,
      rows: 4,
    });
    const quality = (await (
      await viewer(`/api/v1/datasets/${dataset.id}/quality`)
    ).json()) as Record<string, unknown>;
    expect(quality).toMatchObject({
      id: dataset.id,
      quality: {
        missingValues: { total: 2, byColumn: { v: 1, tag: 1 } },
        nonFiniteValues: { total: 1, byColumn: { v: 1 } },
      },
    });
  });

  it('samples the first rows from storage with values typed by column', async () => {
    const response = await viewer(`/api/v1/datasets/${dataset.id}/sample?rows=3`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: dataset.id,
      columns: ['v', 'when', 'tag'],
      rows: [
        [1.5, '2024-01-01', 'a'],
        ['NaN', '2024-01-02', null],
        [null, '2024-01-03', 'c'],
      ],
    });
  });

  it('lists with cursor pagination, scoped to the tenant', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await (
        await viewer(`/api/v1/datasets?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`)
      ).json()) as {
        items: Array<{ id: string }>;
        nextCursor?: string;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const stored = await sql<{ id: string }>(
      fixture.database.url,
      'SELECT id FROM dataset.datasets ORDER BY created_at, id',
    );
    expect(seen).toEqual(stored.map((row) => row.id));
    const foreign = (await (await other('/api/v1/datasets')).json()) as { items: unknown[] };
    expect(foreign.items).toEqual([]);
  });

  it("answers another tenant's dataset 404, exactly like a missing one", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of ['', '/sample', '/quality']) {
      const foreign = await expectProblem(
        await other(`/api/v1/datasets/${dataset.id}${path}`),
        404,
        'NOT_FOUND',
      );
      const absent = await expectProblem(
        await other(`/api/v1/datasets/${missing}${path}`),
        404,
        'NOT_FOUND',
      );
      expect(foreign.detail.replace(dataset.id, missing)).toBe(absent.detail);
    }
    await expectProblem(
      await other(`/api/v1/datasets/${dataset.id}`, { method: 'DELETE' }),
      404,
      'NOT_FOUND',
    );
    expect((await viewer(`/api/v1/datasets/${dataset.id}`)).status).toBe(200);
  });

  it('reports a tampered chunk as a damaged dataset (500, logged), never as data', async () => {
    const damaged = await upload(analyst, 'damaged', 'a,b\n1,2\n3,4\n', 'text/csv');
    await sql(
      fixture.database.url,
      `UPDATE dataset.dataset_chunks SET payload = $2 WHERE dataset_id = $1 AND column_index = 1`,
      [damaged.id, gzipSync(Buffer.from(Float64Array.of(3, 5).buffer))],
    );
    const problem = await expectProblem(
      await viewer(`/api/v1/datasets/${damaged.id}/sample`),
      500,
      'INTERNAL',
    );
    expect(problem.detail).toContain('failed its integrity check');
    expect(problem['reason']).toBe('DATASET_INTEGRITY');
    // Log lines arrive through a pipe: possibly just after the response.
    await eventually(async () => {
      expect(
        fixture.service.logs.some(
          (line) => line.msg === 'dataset chunk failed its integrity check',
        ),
      ).toBe(true);
      return Promise.resolve();
    }, 5_000);
  });

  it('deletes a dataset and its chunks (204); viewers may not', async () => {
    const doomed = await upload(analyst, 'doomed', CSV, 'text/csv');
    await expectProblem(
      await viewer(`/api/v1/datasets/${doomed.id}`, { method: 'DELETE' }),
      403,
      'FORBIDDEN',
    );
    expect((await analyst(`/api/v1/datasets/${doomed.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await viewer(`/api/v1/datasets/${doomed.id}`), 404, 'NOT_FOUND');
    const chunks = await sql(
      fixture.database.url,
      'SELECT 1 FROM dataset.dataset_chunks WHERE dataset_id = $1',
      [doomed.id],
    );
    expect(chunks).toEqual([]);
  });
});

describe('shared data sets', () => {
  const shared = sharedDir();
  if (shared === undefined) {
    console.warn(
      'shared data sets: ../shared/datasets not found (set NOMALY_SHARED_DIR); cardio.csv upload not run',
    );
  }
  it.runIf(shared !== undefined)(
    'uploads cardio.csv with the rows and columns of the file',
    async () => {
      const text = readFileSync(join(shared!, 'datasets', 'cardio.csv'), 'utf8');
      const lines = text.trim().split('\n');
      const header = lines[0]!.split(',');
      const dataset = await upload(analyst, 'cardio', text, 'text/csv');
      expect(dataset.rows).toBe(lines.length - 1);
      expect(dataset.columns.map((c) => c.name)).toEqual(header);
      expect(dataset.labelColumn).toBe('label');
      expect(dataset.columns.every((c) => c.type === 'numeric')).toBe(true);
      const f0 = lines.slice(1).map((line) => Number(line.split(',')[0]));
      const mean = f0.reduce((a, b) => a + b, 0) / f0.length;
      expect(dataset.columns[0]!['mean']).toBeCloseTo(mean, 9);
      expect(dataset.columns[0]!['min']).toBe(Math.min(...f0));
      expect(dataset.columns[0]!['max']).toBe(Math.max(...f0));
    },
  );
});
