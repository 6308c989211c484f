/**
 * What the abuse suites share: two tenants seeded with one of everything an id can name, problem
 * documents compared the way a prober would compare them, hostile bodies (gzip bombs, deep JSON,
 * lying Content-Length on a raw socket), forged access tokens, a process's memory as the kernel
 * reports it.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createGzip } from 'node:zlib';
import { eventually } from '@nomaly/testing';
import { expect } from 'vitest';
import type { ApiResponse, Stack, Tenant } from './stack.js';

// ---------------------------------------------------------------------------------------------
// Answers

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

/** The body of an answer with the expected status (the text is shown when it is not). */
export function expectStatus<T>(response: ApiResponse, status: number): T {
  expect(response.status, response.text.slice(0, 2_000)).toBe(status);
  return response.body as T;
}

/**
 * An RFC 9457 problem document with the expected status and code. Soft: a table of probes
 * reports every probe that fails, not only the first.
 */
export function expectProblem(
  response: ApiResponse,
  status: number,
  code: string,
  label = '',
): Problem {
  const shown = `${label}${label === '' ? '' : ': '}${response.text.slice(0, 2_000)}`;
  expect.soft(response.status, shown).toBe(status);
  expect.soft(response.headers.get('content-type'), shown).toMatch(/^application\/problem\+json/);
  const problem = (typeof response.body === 'object' ? response.body : {}) as Problem;
  expect.soft(problem.code, shown).toBe(code);
  return problem;
}

/**
 * An answer as a prober sees it, with one id (which the caller chose, so it tells nothing)
 * replaced by a placeholder: two answers that normalise equal cannot be told apart.
 */
export function normalised(
  response: ApiResponse,
  id: string,
): { status: number; contentType: string | null; body: string } {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: response.text.split(id).join('<id>'),
  };
}

// ---------------------------------------------------------------------------------------------
// Seeded tenants

/** mulberry32: every run uploads the same bytes. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const FEATURES = ['x', 'y', 'z'] as const;

/** Uniform rows in [0, 1)³ with an outlier every 40th row, as CSV. */
export function generatedCsv(seed: number, rows: number): string {
  const random = seededRandom(seed);
  const lines = [FEATURES.join(',')];
  for (let i = 0; i < rows; i++) {
    const scale = i % 40 === 39 ? 8 : 1;
    lines.push(FEATURES.map(() => (scale * random()).toFixed(6)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Rows in the seeded dataset: above the stack's SYNC_TRAIN_MAX_ROWS, so training is a job and
 * there is a job id to probe.
 */
export const SEED_ROWS = 400;
export const SYNC_TRAIN_MAX_ROWS = '300';

export interface SeededTenant {
  readonly name: string;
  readonly tenant: Tenant;
  readonly viewerToken: string;
  /** The viewer's API key itself. */
  readonly viewerKey: string;
  readonly analystToken: string;
  /** The id of the tenant's admin API key (the one `tenant.token` came from). */
  readonly adminKeyId: string;
  readonly viewerKeyId: string;
  readonly userId: string;
  readonly datasetId: string;
  readonly detectorId: string;
  readonly modelId: string;
  /** The second training's job: finished, and still known to the detector-service. */
  readonly jobId: string;
  /** The artifact of version 1, as the model-service serves it. */
  readonly artifact: unknown;
}

interface JobView {
  state: string;
  result?: { modelVersion: { modelId: string; version: number } };
}

/** Trains through a job (the dataset is above SYNC_TRAIN_MAX_ROWS) and waits for its end. */
async function trainAsJob(
  stack: Stack,
  token: string,
  detectorId: string,
  datasetId: string,
  seed: number,
): Promise<{ jobId: string; modelId: string; version: number }> {
  const started = expectStatus<{ jobId: string }>(
    await stack.call(`/api/v1/detectors/${detectorId}/train`, { token, json: { datasetId, seed } }),
    202,
  );
  const done = await eventually(async () => {
    const job = expectStatus<JobView>(
      await stack.call(`/api/v1/jobs/${started.jobId}`, { token }),
      200,
    );
    expect(['succeeded', 'failed', 'cancelled']).toContain(job.state);
    return job;
  }, 60_000);
  expect(done.state).toBe('succeeded');
  const version = done.result?.modelVersion;
  if (version === undefined) throw new Error(`job ${started.jobId} succeeded without a result`);
  return { jobId: started.jobId, modelId: version.modelId, version: version.version };
}

async function apiKey(
  stack: Stack,
  adminToken: string,
  roles: readonly string[],
  expiresAt?: string,
): Promise<{ id: string; key: string; token: string }> {
  const created = expectStatus<{ id: string; key: string }>(
    await stack.call('/api/v1/auth/api-keys', {
      token: adminToken,
      json: {
        name: `abuse ${roles.join('+')}`,
        roles,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      },
    }),
    201,
  );
  const exchanged = expectStatus<{ accessToken: string }>(
    await stack.call('/api/v1/auth/token', { json: { apiKey: created.key } }),
    200,
  );
  return { id: created.id, key: created.key, token: exchanged.accessToken };
}

/**
 * A tenant with one of everything an id can name: a dataset, an isolation forest trained twice
 * (model versions 1 and 2, through jobs), version 1 champion and version 2 challenger, stored
 * detection results, a user, and viewer and analyst API keys beside the admin's.
 */
export async function seedTenant(stack: Stack, name: string, seed: number): Promise<SeededTenant> {
  const tenant = await stack.tenant(name);
  const token = tenant.token;
  const [viewer, analyst] = await Promise.all([
    apiKey(stack, token, ['viewer']),
    apiKey(stack, token, ['analyst']),
  ]);
  const me = expectStatus<{ apiKeyId: string }>(
    await stack.call('/api/v1/auth/me', { token }),
    200,
  );
  const user = expectStatus<{ id: string }>(
    await stack.call('/api/v1/auth/users', {
      token,
      json: {
        email: `analyst@${name}.example.com`,
        password: 'correct horse battery staple',
        roles: ['analyst'],
      },
    }),
    201,
  );
  const dataset = expectStatus<{ id: string }>(
    await stack.call(`/api/v1/datasets?name=${name}-readings`, {
      token,
      body: generatedCsv(seed, SEED_ROWS),
      headers: { 'Content-Type': 'text/csv' },
    }),
    201,
  );
  const detector = expectStatus<{ id: string }>(
    await stack.call('/api/v1/detectors', {
      token,
      json: { name: `${name} readings`, algorithm: 'iforest', parameters: { nEstimators: 25 } },
    }),
    201,
  );
  const first = await trainAsJob(stack, token, detector.id, dataset.id, 1);
  const second = await trainAsJob(stack, token, detector.id, dataset.id, 2);
  expect(second).toMatchObject({ modelId: first.modelId, version: first.version + 1 });
  for (const [version, alias] of [
    [first.version, 'champion'],
    [second.version, 'challenger'],
  ] as const) {
    expectStatus(
      await stack.call(`/api/v1/models/${first.modelId}/promote`, {
        token,
        json: { version, alias },
      }),
      200,
    );
  }
  const detected = expectStatus<{ saved: number }>(
    await stack.call(`/api/v1/detectors/${detector.id}/detect?save=true`, {
      token,
      json: {
        rows: [
          [0.5, 0.5, 0.5],
          [7, 7, 7],
          [0.1, 0.9, 0.4],
        ],
      },
    }),
    200,
  );
  expect(detected.saved).toBe(3);
  const artifact = expectStatus<unknown>(
    await stack.call(`/api/v1/models/${first.modelId}/versions/${first.version}/artifact`, {
      token,
    }),
    200,
  );
  return {
    name,
    tenant,
    viewerToken: viewer.token,
    viewerKey: viewer.key,
    analystToken: analyst.token,
    adminKeyId: me.apiKeyId,
    viewerKeyId: viewer.id,
    userId: user.id,
    datasetId: dataset.id,
    detectorId: detector.id,
    modelId: first.modelId,
    jobId: second.jobId,
    artifact,
  };
}

/** A token whose API key expires `seconds` from now (an access token never outlives its key). */
export async function shortLivedToken(
  stack: Stack,
  adminToken: string,
  seconds: number,
): Promise<string> {
  const expiresAt = new Date(Date.now() + seconds * 1000).toISOString();
  return (await apiKey(stack, adminToken, ['viewer'], expiresAt)).token;
}

/** A fresh id: names nothing in any tenant. */
export function missingId(): string {
  return randomUUID();
}

// ---------------------------------------------------------------------------------------------
// Hostile bodies

/**
 * Gzip of `inflatedBytes` spaces (valid JSON whitespace, valid CSV nothing): deflate stops at
 * about 1:1000, so 1 GiB packs into about 1 MiB. Compressed as a stream, never held inflated.
 */
export async function gzipBomb(inflatedBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const block = Buffer.alloc(1024 * 1024, 0x20);
  for (let written = 0; written < inflatedBytes; written += block.length) {
    const slice = block.subarray(0, Math.min(block.length, inflatedBytes - written));
    if (!gzip.write(slice)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(parts);
}

/** `[[[…]]]`, `depth` arrays deep. */
export function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** `{"a":{"a":…1…}}`, `depth` objects deep. */
export function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export interface RawExchange {
  /** The status of every response read off the socket, in order. */
  readonly statuses: number[];
  readonly text: string;
  /** The server closed the connection (rather than the bound running out). */
  readonly closed: boolean;
}

/**
 * Writes `request` as is on a TCP connection to `baseUrl`, half-closes it (no more bytes will
 * come, so a server waiting for a promised body learns it never will), and reads until the
 * server closes or `withinMs` elapses.
 */
export function rawHttp(baseUrl: string, request: string, withinMs = 15_000): Promise<RawExchange> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    let text = '';
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, closed });
    };
    const timer = setTimeout(() => finish(false), withinMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server has answered (or refused to) is a close; anything else fails.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      socket.write(request, 'latin1');
      socket.end();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Tokens

export interface TokenParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The header and claims of a JWT (not verified: the test only reads its own tokens). */
export function decodeToken(token: string): TokenParts {
  const [header = '', claims = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
  };
}

/**
 * A well-formed EdDSA token, claims and `kid` as the caller wants them, signed by a key the
 * auth-service never made: only the signature can give it away.
 */
export function forgedToken({ header, claims }: TokenParts): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const input = `${b64url({ ...header, alg: 'EdDSA' })}.${b64url(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** A real token's signature on claims it was not issued for. */
export function tamperedToken(token: string, claims: Record<string, unknown>): string {
  const [header = '', , signature = ''] = token.split('.');
  return `${header}.${b64url(claims)}.${signature}`;
}

/** `alg: none`: no signature at all. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Resident memory now and at its peak, in bytes, from /proc/<pid>/status. */
export function memoryOf(pid: number | undefined): { rss: number; peak: number } {
  if (pid === undefined) throw new Error('the process has no pid');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}
