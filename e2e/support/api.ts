/**
 * What the REST, gRPC and canary suites share: seeded test data, assertions on answers and
 * problem documents, gRPC clients on the generated codecs of `@nomaly/proto` (as an in-mesh
 * service calls its peers: plain HTTP/2, a deadline on every call, the tenant in metadata),
 * Prometheus counters read from a service's own `/metrics`, and the detector VirtualService's
 * weights rewritten in the gateway's copy of `istio/`.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, credentials, Metadata, type ServiceError as GrpcError } from '@grpc/grpc-js';
import { authV1, datasetV1, modelV1 } from '@nomaly/proto';
import { expect } from 'vitest';
import type { ApiResponse } from './stack.js';

// ---------------------------------------------------------------------------------------------
// Seeded data

/** mulberry32: a small seeded generator, so every run uploads the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface GeneratedDataset {
  /** The file to upload: a header, then one line per row; the last column is `label`. */
  csv: string;
  features: string[];
  /** Feature values per row, exactly as written (numbers round-trip through their text). */
  rows: number[][];
  labels: number[];
}

/**
 * Gaussian rows (Box–Muller) with an anomaly every `anomalyEvery`th row drawn far outside them,
 * labelled 1, so a trained detector has something to find and training reports metrics.
 */
export function generateDataset(
  seed: number,
  rowCount: number,
  features: readonly string[] = ['f0', 'f1', 'f2', 'f3'],
  anomalyEvery = 50,
): GeneratedDataset {
  const random = seededRandom(seed);
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < rowCount; i++) {
    const anomaly = i % anomalyEvery === anomalyEvery - 1;
    rows.push(features.map(() => (anomaly ? 6 + 4 * random() : normal())));
    labels.push(anomaly ? 1 : 0);
  }
  const lines = [[...features, 'label'].join(',')];
  rows.forEach((row, i) => lines.push([...row, labels[i]].join(',')));
  return { csv: `${lines.join('\n')}\n`, features: [...features], rows, labels };
}

// ---------------------------------------------------------------------------------------------
// REST answers

/** The body of an answer with the expected status (the text is shown when it is not). */
export function expectStatus<T>(response: ApiResponse<unknown>, status: number): T {
  expect(response.status, response.text.slice(0, 2_000)).toBe(status);
  return response.body as T;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
}

/** An RFC 9457 problem document with the expected status and stable `code`, and no stack. */
export function expectProblem(
  response: ApiResponse<unknown>,
  status: number,
  code: string,
): Problem {
  expect(response.status, response.text.slice(0, 2_000)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({ status, code, title: expect.any(String) as unknown });
  expect(problem.detail).not.toBe('');
  expect(response.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
  return problem;
}

/** A page of a list route (`?limit=&cursor=`). */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Every item of a list, page by page: each page at most `limit` long, every page but the last
 * carrying a cursor. Returns the items and the number of pages.
 */
export async function readAllPages<T>(
  fetchPage: (query: string) => Promise<ApiResponse<unknown>>,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const query = `limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = expectStatus<Page<T>>(await fetchPage(query), 200);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    // A cursor is only handed out when there is more: an empty page never carries one.
    if (cursor !== undefined) expect(page.items).toHaveLength(limit);
  } while (cursor !== undefined && pages < 1_000);
  return { items, pages };
}

// ---------------------------------------------------------------------------------------------
// gRPC

/** What ts-proto generates for each message: the protobuf binary codec. */
interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

const DEFAULT_DEADLINE_MS = 10_000;

/** Metadata with the caller's tenant (and any other entries), as the services require. */
export function tenantMetadata(tenantId?: string, extra: Record<string, string> = {}): Metadata {
  const metadata = new Metadata();
  if (tenantId !== undefined) metadata.set('x-tenant-id', tenantId);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

const serializer =
  <T>(codec: Codec<T>) =>
  (message: T): Buffer =>
    Buffer.from(codec.encode(message).finish());
const deserializer =
  <T>(codec: Codec<T>) =>
  (bytes: Buffer): T =>
    codec.decode(bytes);

function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** A plain @grpc/grpc-js client speaking one service's methods by their full paths. */
class GrpcChannel {
  private readonly client: Client;

  constructor(
    address: string,
    private readonly service: string,
  ) {
    this.client = new Client(address, credentials.createInsecure());
  }

  unary<Req, Res>(
    method: string,
    codecs: [Codec<Req>, Codec<Res>],
    request: Req,
    metadata: Metadata,
    deadlineMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/${this.service}/${method}`,
        serializer(codecs[0]),
        deserializer(codecs[1]),
        request,
        metadata,
        { deadline: deadlineIn(deadlineMs) },
        (error, response) =>
          error === null && response !== undefined
            ? resolve(response)
            : reject(error ?? new Error(`${method}: no response`)),
      );
    });
  }

  /** Every message of a server stream, in order; rejects with the stream's error. */
  serverStream<Req, Res>(
    method: string,
    codecs: [Codec<Req>, Codec<Res>],
    request: Req,
    metadata: Metadata,
    deadlineMs: number,
  ): Promise<Res[]> {
    return new Promise((resolve, reject) => {
      const messages: Res[] = [];
      const stream = this.client.makeServerStreamRequest(
        `/${this.service}/${method}`,
        serializer(codecs[0]),
        deserializer(codecs[1]),
        request,
        metadata,
        { deadline: deadlineIn(deadlineMs) },
      );
      stream.on('data', (message: Res) => messages.push(message));
      stream.on('error', reject);
      stream.on('end', () => resolve(messages));
    });
  }

  /** Sends every message of a client stream, half-closes, and resolves with the answer. */
  clientStream<Req, Res>(
    method: string,
    codecs: [Codec<Req>, Codec<Res>],
    requests: readonly Req[],
    metadata: Metadata,
    deadlineMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const stream = this.client.makeClientStreamRequest(
        `/${this.service}/${method}`,
        serializer(codecs[0]),
        deserializer(codecs[1]),
        metadata,
        { deadline: deadlineIn(deadlineMs) },
        (error, response) =>
          error === null && response !== undefined
            ? resolve(response)
            : reject(error ?? new Error(`${method}: no response`)),
      );
      for (const request of requests) stream.write(request);
      stream.end();
    });
  }

  close(): void {
    this.client.close();
  }
}

const serviceName = (pkg: string, name: string): string => `${pkg}.${name}`;

/** `nomaly.auth.v1.AuthService`. */
export function authClient(address: string) {
  const channel = new GrpcChannel(
    address,
    serviceName(authV1.protobufPackage, authV1.AUTH_SERVICE_NAME),
  );
  return {
    introspectApiKey: (
      request: authV1.IntrospectApiKeyRequest,
      metadata = new Metadata(),
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.unary(
        'IntrospectApiKey',
        [authV1.IntrospectApiKeyRequest, authV1.IntrospectApiKeyResponse],
        request,
        metadata,
        deadlineMs,
      ),
    close: () => channel.close(),
  };
}

/** `nomaly.dataset.v1.DatasetService`. */
export function datasetClient(address: string) {
  const channel = new GrpcChannel(
    address,
    serviceName(datasetV1.protobufPackage, datasetV1.DATASET_SERVICE_NAME),
  );
  return {
    describeDataset: (
      request: datasetV1.DescribeDatasetRequest,
      metadata: Metadata,
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.unary(
        'DescribeDataset',
        [datasetV1.DescribeDatasetRequest, datasetV1.DescribeDatasetResponse],
        request,
        metadata,
        deadlineMs,
      ),
    streamRows: (
      request: datasetV1.StreamRowsRequest,
      metadata: Metadata,
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.serverStream(
        'StreamRows',
        [datasetV1.StreamRowsRequest, datasetV1.StreamRowsResponse],
        request,
        metadata,
        deadlineMs,
      ),
    close: () => channel.close(),
  };
}

/** `nomaly.model.v1.ModelService`. */
export function modelClient(address: string) {
  const channel = new GrpcChannel(
    address,
    serviceName(modelV1.protobufPackage, modelV1.MODEL_SERVICE_NAME),
  );
  return {
    saveVersion: (
      requests: readonly modelV1.SaveVersionRequest[],
      metadata: Metadata,
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.clientStream(
        'SaveVersion',
        [modelV1.SaveVersionRequest, modelV1.SaveVersionResponse],
        requests,
        metadata,
        deadlineMs,
      ),
    fetchVersion: (
      request: modelV1.FetchVersionRequest,
      metadata: Metadata,
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.serverStream(
        'FetchVersion',
        [modelV1.FetchVersionRequest, modelV1.FetchVersionResponse],
        request,
        metadata,
        deadlineMs,
      ),
    resolveAlias: (
      request: modelV1.ResolveAliasRequest,
      metadata: Metadata,
      deadlineMs = DEFAULT_DEADLINE_MS,
    ) =>
      channel.unary(
        'ResolveAlias',
        [modelV1.ResolveAliasRequest, modelV1.ResolveAliasResponse],
        request,
        metadata,
        deadlineMs,
      ),
    close: () => channel.close(),
  };
}

/** The error a gRPC call failed with (fails the test when it succeeded). */
export async function grpcFailure(call: Promise<unknown>): Promise<GrpcError> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok)
    throw new Error(`expected the call to fail, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as GrpcError;
}

// ---------------------------------------------------------------------------------------------
// Prometheus

/**
 * The sum of a counter's samples whose labels include `labels`, from a Prometheus text
 * exposition (0 when none has been recorded yet).
 */
export function counterValue(
  exposition: string,
  name: string,
  labels: Readonly<Record<string, string>>,
): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const found = new Map(
      [...line.slice(name.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
        (match) => [match[1], match[2]],
      ),
    );
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) {
      total += Number(
        line
          .slice(close + 1)
          .trim()
          .split(' ')[0],
      );
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Istio routing

/** The route of the VirtualService that splits user traffic between detector subsets. */
export const DETECTOR_PRIMARY_ROUTE = 'detector-primary';

/**
 * Sets the weight of each subset of a named `http` route in the VirtualService files of
 * `istioDir`, leaving every other byte as it is (comments, order, quoting), and replaces the
 * file in one rename so the gateway never reads half of it. Edits the text rather than a parsed
 * tree because the files are block-style YAML whose routes read `- name: …` / `subset: …` /
 * `weight: N`; anything else is refused with the reason.
 */
export function setRouteWeights(
  istioDir: string,
  routeName: string,
  weights: Readonly<Record<string, number>>,
): void {
  const files = readdirSync(istioDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(istioDir, name))
    .filter((file) => readFileSync(file, 'utf8').includes(`- name: ${routeName}\n`));
  if (files.length !== 1) {
    throw new Error(
      `expected one file in ${istioDir} with route ${routeName}, found ${files.length}`,
    );
  }
  const file = files[0] as string;
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `- name: ${routeName}`);
  const indent = (line: string): number => line.length - line.trimStart().length;
  const depth = indent(lines[start] as string);
  let end = start + 1;
  while (end < lines.length) {
    const line = lines[end] as string;
    const blank = line.trim() === '' || line.trimStart().startsWith('#');
    if (!blank && indent(line) <= depth) break;
    end++;
  }
  const seen = new Set<string>();
  let subset: string | undefined;
  for (let i = start + 1; i < end; i++) {
    const line = lines[i] as string;
    const named = /^\s*subset:\s*['"]?([\w-]+)['"]?\s*$/.exec(line);
    if (named !== null) subset = named[1];
    const weighted = /^(\s*weight:\s*)\d+\s*$/.exec(line);
    if (weighted === null) continue;
    const weight = subset === undefined ? undefined : weights[subset];
    if (subset === undefined || weight === undefined) {
      throw new Error(
        `route ${routeName}: a weight for subset ${subset ?? '(none)'} was not given`,
      );
    }
    lines[i] = `${weighted[1]}${weight}`;
    seen.add(subset);
    subset = undefined;
  }
  const missing = Object.keys(weights).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(`route ${routeName} has no weighted destination for ${missing.join(', ')}`);
  }
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, lines.join('\n'));
  renameSync(temporary, file);
}
