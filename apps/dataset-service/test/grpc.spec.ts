/**
 * `nomaly.dataset.v1.DatasetService` called as the detector-service will: a plain @grpc/grpc-js
 * client built from the published .proto, with a deadline and the tenant in metadata.
 */
import { gzipSync } from 'node:zlib';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type ServiceClientConstructor,
  type ServiceError as GrpcError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_ROOT, protoPath } from '@nomaly/proto';
import { eventually, sql } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startDatasetService, type DatasetFixture } from './harness.js';

interface Column {
  name: string;
  type: string;
  isLabel: boolean;
  missing: number;
}
interface Description {
  datasetId: string;
  name: string;
  version: number;
  rows: number;
  columns: Column[];
  labelColumn?: string;
  checksum: string;
}
interface RowsChunk {
  rowOffset: number;
  rowCount: number;
  columns: Array<{ name: string; values: number[] }>;
  label: number[];
}

type Stub = InstanceType<ServiceClientConstructor> & {
  describeDataset(
    request: { datasetId: string },
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: GrpcError | null, response: Description) => void,
  ): void;
  streamRows(
    request: {
      datasetId: string;
      columns?: string[];
      includeLabel?: boolean;
      maxRowsPerChunk?: number;
      startRow?: number;
    },
    metadata: Metadata,
    options: { deadline: Date },
  ): NodeJS.ReadableStream;
};

let fixture: DatasetFixture;
let stub: Stub;
let tenantId: string;
let otherTenantId: string;
let datasetId: string;

/** 25,000 rows: x = i / 7, t = a timestamp, city categorical, label = 1 every 10th row. */
const ROWS = 25_000;
const x = (i: number): number => i / 7;
const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();

function metadata(tenant: string): Metadata {
  const meta = new Metadata();
  meta.set('x-tenant-id', tenant);
  return meta;
}

function describeDataset(id: string, tenant: string): Promise<Description> {
  return new Promise((resolve, reject) => {
    stub.describeDataset(
      { datasetId: id },
      metadata(tenant),
      { deadline: new Date(Date.now() + 5_000) },
      (error, response) => (error === null ? resolve(response) : reject(error)),
    );
  });
}

async function streamRows(
  request: Parameters<Stub['streamRows']>[0],
  tenant: string,
): Promise<RowsChunk[]> {
  const chunks: RowsChunk[] = [];
  for await (const chunk of stub.streamRows(request, metadata(tenant), {
    deadline: new Date(Date.now() + 20_000),
  })) {
    chunks.push(chunk as unknown as RowsChunk);
  }
  return chunks;
}

async function grpcError(promise: Promise<unknown>): Promise<GrpcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  return error as GrpcError;
}

beforeAll(async () => {
  fixture = await startDatasetService();
  const acme = await fixture.auth.tokenFor('acme', ['analyst']);
  tenantId = acme.tenantId;
  otherTenantId = (await fixture.auth.tokenFor('globex')).tenantId;
  const lines = ['x,t,city,label'];
  for (let i = 0; i < ROWS; i++)
    lines.push(`${x(i)},${day(i)},${i % 3 === 0 ? 'Paris' : 'Oslo'},${i % 10 === 0 ? 1 : 0}`);
  const response = await client(fixture.service.baseUrl, acme.token)(
    '/api/v1/datasets?name=stream',
    {
      method: 'POST',
      body: `${lines.join('\n')}\n`,
      contentType: 'text/csv',
    },
  );
  expect(response.status).toBe(201);
  datasetId = ((await response.json()) as { id: string }).id;

  const definition = loadSync(protoPath('nomaly/dataset/v1/dataset_service.proto'), {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    enums: String,
    longs: Number,
    defaults: true,
  });
  const loaded = loadPackageDefinition(definition) as unknown as {
    nomaly: { dataset: { v1: { DatasetService: ServiceClientConstructor } } };
  };
  stub = new loaded.nomaly.dataset.v1.DatasetService(
    fixture.service.grpcAddress,
    credentials.createInsecure(),
  ) as Stub;
});

afterAll(async () => {
  stub?.close();
  await fixture?.stop();
});

describe('DatasetService.DescribeDataset', () => {
  it('describes the schema, rows and checksum', async () => {
    const description = await describeDataset(datasetId, tenantId);
    expect(description).toMatchObject({
      datasetId,
      name: 'stream',
      version: 1,
      rows: ROWS,
      labelColumn: 'label',
    });
    expect(description.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(description.columns.map((c) => [c.name, c.type, c.isLabel])).toEqual([
      ['x', 'COLUMN_TYPE_NUMERIC', false],
      ['t', 'COLUMN_TYPE_TIMESTAMP', false],
      ['city', 'COLUMN_TYPE_CATEGORICAL', false],
      ['label', 'COLUMN_TYPE_NUMERIC', true],
    ]);
  });

  it("answers NOT_FOUND for another tenant's dataset exactly as for a missing one", async () => {
    const foreign = await grpcError(describeDataset(datasetId, otherTenantId));
    const missing = await grpcError(
      describeDataset('00000000-0000-4000-8000-000000000000', otherTenantId),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(foreign.details.replace(datasetId, '00000000-0000-4000-8000-000000000000')).toBe(
      missing.details,
    );
  });

  it('answers INVALID_ARGUMENT without a tenant', async () => {
    const error = await grpcError(
      new Promise((resolve, reject) => {
        stub.describeDataset(
          { datasetId },
          new Metadata(),
          { deadline: new Date(Date.now() + 5_000) },
          (e, r) => (e === null ? resolve(r) : reject(e)),
        );
      }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('DatasetService.StreamRows', () => {
  it('streams exactly the stored values, in chunks of at most 10,000 rows, label apart', async () => {
    const chunks = await streamRows({ datasetId, includeLabel: true }, tenantId);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...chunks.map((c) => c.rowCount))).toBeLessThanOrEqual(10_000);
    let offset = 0;
    for (const chunk of chunks) {
      expect(chunk.rowOffset).toBe(offset);
      // Default selection: numeric feature columns (the label travels in `label` only).
      expect(chunk.columns.map((c) => c.name)).toEqual(['x']);
      expect(chunk.columns[0]!.values).toHaveLength(chunk.rowCount);
      chunk.columns[0]!.values.forEach((value, i) => expect(value).toBe(x(offset + i)));
      chunk.label.forEach((value, i) => expect(value).toBe((offset + i) % 10 === 0 ? 1 : 0));
      offset += chunk.rowCount;
    }
    expect(offset).toBe(ROWS);
  });

  it('streams selected columns in the order asked, timestamps as epoch milliseconds, in smaller chunks on request', async () => {
    const chunks = await streamRows(
      { datasetId, columns: ['t', 'x'], maxRowsPerChunk: 4_000 },
      tenantId,
    );
    expect(chunks.map((c) => c.rowCount)).toEqual([
      ...Array.from({ length: 6 }, () => 4_000),
      1_000,
    ]);
    const last = chunks.at(-1)!;
    expect(last.columns.map((c) => c.name)).toEqual(['t', 'x']);
    expect(last.columns[0]!.values[999]).toBe(Date.parse(day(ROWS - 1)));
    expect(last.label).toEqual([]);
  });

  it('resumes at startRow: the rows before it are skipped, the rest arrive in order', async () => {
    const start = 12_345;
    const chunks = await streamRows(
      { datasetId, startRow: start, maxRowsPerChunk: 5_000 },
      tenantId,
    );
    expect(chunks[0]!.rowOffset).toBe(start);
    let offset = start;
    for (const chunk of chunks) {
      expect(chunk.rowOffset).toBe(offset);
      chunk.columns[0]!.values.forEach((value, i) => expect(value).toBe(x(offset + i)));
      offset += chunk.rowCount;
    }
    expect(offset).toBe(ROWS);
    expect(await streamRows({ datasetId, startRow: ROWS }, tenantId)).toEqual([]);
    expect((await grpcError(streamRows({ datasetId, startRow: -1 }, tenantId))).code).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it('refuses categorical and unknown columns, and another tenant, with the right codes', async () => {
    expect((await grpcError(streamRows({ datasetId, columns: ['city'] }, tenantId))).code).toBe(
      status.INVALID_ARGUMENT,
    );
    expect((await grpcError(streamRows({ datasetId, columns: ['nope'] }, tenantId))).code).toBe(
      status.INVALID_ARGUMENT,
    );
    expect((await grpcError(streamRows({ datasetId }, otherTenantId))).code).toBe(status.NOT_FOUND);
  });

  it('fails with INTERNAL on a tampered chunk, and logs it', async () => {
    await sql(
      fixture.database.url,
      `UPDATE dataset.dataset_chunks SET payload = $2 WHERE dataset_id = $1 AND column_index = 0 AND chunk_index = 0`,
      [datasetId, gzipSync(Buffer.from('tampered'))],
    );
    const error = await grpcError(streamRows({ datasetId }, tenantId));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toContain('failed its integrity check');
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
});
