/**
 * The OWASP API Security Top 10 cases that apply to Nomaly, sent through the gateway exactly as
 * an attacker on the internet would send them, against two seeded tenants (acme is the victim,
 * globex the attacker): another tenant's ids on every route that takes one (API1), forged and
 * expired tokens (API2), mass assignment (API3), hostile bodies — oversized, lying about their
 * length, gzip bombs, absurdly deep JSON, prototype-polluting keys, batches over the limit —
 * (API4), and roles reaching above themselves (API5). After every case no row was added or
 * removed anywhere and every process is still running.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '@nomaly/testing';
import {
  decodeToken,
  expectProblem,
  expectStatus,
  forgedToken,
  gzipBomb,
  memoryOf,
  missingId,
  nestedArrays,
  nestedObjects,
  normalised,
  rawHttp,
  seedTenant,
  shortLivedToken,
  SYNC_TRAIN_MAX_ROWS,
  tamperedToken,
  unsignedToken,
  type SeededTenant,
} from '../support/abuse.js';
import { startStack, type ApiResponse, type ServiceName, type Stack } from '../support/stack.js';

/** Small, so that "too large" is a few megabytes to send. */
const MAX_REQUEST_SIZE_MB = 2;
const MAX_BYTES = MAX_REQUEST_SIZE_MB * 1024 * 1024;
const MIB = 1024 * 1024;

let stack: Stack;
/** The victim. */
let acme: SeededTenant;
/** The attacker: an admin of a tenant of its own. */
let globex: SeededTenant;
/** acme's, from an API key that expired seconds after the token was issued. */
let expiring: string;

beforeAll(async () => {
  const limits = { MAX_REQUEST_SIZE_MB: String(MAX_REQUEST_SIZE_MB) };
  const detector = { ...limits, SYNC_TRAIN_MAX_ROWS };
  stack = await startStack({
    env: {
      'auth-service': limits,
      'dataset-service': limits,
      'model-service': limits,
      'detector-service': detector,
      'detector-canary': detector,
    },
    worker: true,
  });
  [acme, globex] = await Promise.all([
    seedTenant(stack, 'acme', 1),
    seedTenant(stack, 'globex', 2),
  ]);
  expiring = await shortLivedToken(stack, acme.tenant.token, 2);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

let counts: Record<string, number>;

beforeEach(async () => {
  counts = await stack.rowCounts();
});

afterEach(async () => {
  // No case legitimately creates or deletes anything.
  expect(await stack.rowCounts()).toEqual(counts);
  expect(stack.exited()).toEqual([]);
});

interface Probe {
  method?: string;
  path: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

function send(token: string | undefined, probe: Probe): Promise<ApiResponse> {
  return stack.call(probe.path, {
    method: probe.method ?? (probe.json === undefined && probe.body === undefined ? 'GET' : 'POST'),
    token,
    json: probe.json,
    body: probe.body,
    headers: probe.headers,
  });
}

const json = (body: string): Pick<Probe, 'body' | 'headers'> => ({
  body,
  headers: { 'Content-Type': 'application/json' },
});

/** What acme sees of its own resources; any change by someone else shows here. */
async function stateOf(tenant: SeededTenant): Promise<unknown[]> {
  const { token } = tenant.tenant;
  const paths = [
    `/api/v1/datasets/${tenant.datasetId}`,
    `/api/v1/datasets/${tenant.datasetId}/sample`,
    `/api/v1/detectors/${tenant.detectorId}`,
    `/api/v1/jobs/${tenant.jobId}`,
    `/api/v1/results?detectorId=${tenant.detectorId}`,
    `/api/v1/models/${tenant.modelId}`,
    `/api/v1/models/${tenant.modelId}/versions`,
    `/api/v1/models/${tenant.modelId}/aliases/champion`,
    `/api/v1/models/${tenant.modelId}/aliases/challenger`,
    '/api/v1/auth/users',
  ];
  const answers = await Promise.all(
    paths.map(async (path) => expectStatus(await stack.call(path, { token }), 200)),
  );
  const keys = expectStatus<{ items: Array<Record<string, unknown>> }>(
    await stack.call('/api/v1/auth/api-keys', { token }),
    200,
  );
  // lastUsedAt moves with every token exchange; whether a key was revoked is what matters.
  return [...answers, keys.items.map(({ lastUsedAt: _used, ...key }) => key)];
}

describe('API1: another tenant’s ids', () => {
  interface ForeignCase {
    route: string;
    /** acme's id, which globex sends. */
    id: string;
    probe: (id: string) => Probe;
    /** What a missing id answers: 404, or an empty page for a list filter. */
    status?: number;
  }

  function cases(): ForeignCase[] {
    const detect = { rows: [[0.5, 0.5, 0.5]] };
    return [
      {
        route: 'GET /datasets/:id',
        id: acme.datasetId,
        probe: (id) => ({ path: `/api/v1/datasets/${id}` }),
      },
      {
        route: 'GET /datasets/:id/sample',
        id: acme.datasetId,
        probe: (id) => ({ path: `/api/v1/datasets/${id}/sample` }),
      },
      {
        route: 'GET /datasets/:id/quality',
        id: acme.datasetId,
        probe: (id) => ({ path: `/api/v1/datasets/${id}/quality` }),
      },
      {
        route: 'DELETE /datasets/:id',
        id: acme.datasetId,
        probe: (id) => ({ method: 'DELETE', path: `/api/v1/datasets/${id}` }),
      },
      {
        route: 'GET /detectors/:id',
        id: acme.detectorId,
        probe: (id) => ({ path: `/api/v1/detectors/${id}` }),
      },
      {
        route: 'DELETE /detectors/:id',
        id: acme.detectorId,
        probe: (id) => ({ method: 'DELETE', path: `/api/v1/detectors/${id}` }),
      },
      {
        route: 'POST /detectors/:id/train (their detector)',
        id: acme.detectorId,
        probe: (id) => ({
          path: `/api/v1/detectors/${id}/train`,
          json: { datasetId: globex.datasetId },
        }),
      },
      {
        route: 'POST /detectors/:id/train (their dataset)',
        id: acme.datasetId,
        probe: (id) => ({
          path: `/api/v1/detectors/${globex.detectorId}/train`,
          json: { datasetId: id },
        }),
      },
      {
        route: 'POST /detectors/:id/detect',
        id: acme.detectorId,
        probe: (id) => ({ path: `/api/v1/detectors/${id}/detect`, json: detect }),
      },
      {
        route: 'POST /detectors/:id/detect?save=true',
        id: acme.detectorId,
        probe: (id) => ({ path: `/api/v1/detectors/${id}/detect?save=true`, json: detect }),
      },
      {
        route: 'GET /results?detectorId=',
        id: acme.detectorId,
        probe: (id) => ({ path: `/api/v1/results?detectorId=${id}` }),
        status: 200,
      },
      { route: 'GET /jobs/:id', id: acme.jobId, probe: (id) => ({ path: `/api/v1/jobs/${id}` }) },
      {
        route: 'GET /models/:id',
        id: acme.modelId,
        probe: (id) => ({ path: `/api/v1/models/${id}` }),
      },
      {
        route: 'GET /models/:id/versions',
        id: acme.modelId,
        probe: (id) => ({ path: `/api/v1/models/${id}/versions` }),
      },
      {
        route: 'POST /models/:id/versions',
        id: acme.modelId,
        // A document that loads (acme's own): only the model id can be refused.
        probe: (id) => ({
          path: `/api/v1/models/${id}/versions`,
          json: { document: acme.artifact },
        }),
      },
      {
        route: 'GET /models/:id/versions/:version',
        id: acme.modelId,
        probe: (id) => ({ path: `/api/v1/models/${id}/versions/1` }),
      },
      {
        route: 'GET /models/:id/versions/:version/artifact',
        id: acme.modelId,
        probe: (id) => ({ path: `/api/v1/models/${id}/versions/1/artifact` }),
      },
      {
        route: 'GET /models/:id/aliases/:alias',
        id: acme.modelId,
        probe: (id) => ({ path: `/api/v1/models/${id}/aliases/champion` }),
      },
      {
        route: 'POST /models/:id/promote',
        id: acme.modelId,
        probe: (id) => ({
          path: `/api/v1/models/${id}/promote`,
          json: { version: 2, alias: 'champion' },
        }),
      },
      {
        route: 'POST /models/:id/rollback',
        id: acme.modelId,
        probe: (id) => ({ method: 'POST', path: `/api/v1/models/${id}/rollback` }),
      },
      {
        route: 'DELETE /auth/api-keys/:id',
        id: acme.viewerKeyId,
        probe: (id) => ({ method: 'DELETE', path: `/api/v1/auth/api-keys/${id}` }),
      },
      {
        route: 'PATCH /auth/users/:id',
        id: acme.userId,
        probe: (id) => ({
          method: 'PATCH',
          path: `/api/v1/auth/users/${id}`,
          json: { roles: ['admin'] },
        }),
      },
    ];
  }

  it('answer exactly like a missing id (404, same body) on every route, and change nothing', async () => {
    const before = await stateOf(acme);
    for (const { route, id, probe, status } of cases()) {
      const other = missingId();
      const foreign = await send(globex.tenant.token, probe(id));
      const missing = await send(globex.tenant.token, probe(other));
      expect.soft(foreign.status, `${route}: ${foreign.text}`).toBe(status ?? 404);
      expect.soft(normalised(foreign, id), route).toEqual(normalised(missing, other));
    }
    expect(await stateOf(acme)).toEqual(before);
    // acme's keys still work: globex revoked nothing.
    expectStatus(await stack.call('/api/v1/auth/me', { token: acme.viewerToken }), 200);
  });

  it('never appear in another tenant’s lists', async () => {
    const theirs = [
      acme.tenant.tenantId,
      acme.datasetId,
      acme.detectorId,
      acme.modelId,
      acme.jobId,
      acme.userId,
      acme.adminKeyId,
      acme.viewerKeyId,
    ];
    for (const path of [
      '/api/v1/datasets',
      '/api/v1/detectors',
      '/api/v1/models',
      '/api/v1/models/edge',
      '/api/v1/results',
      `/api/v1/results/since/${encodeURIComponent('2000-01-01T00:00:00Z')}`,
      '/api/v1/auth/api-keys',
      '/api/v1/auth/users',
    ]) {
      const answer = await stack.call(path, { token: globex.tenant.token });
      expectStatus(answer, 200);
      for (const id of theirs) expect.soft(answer.text, `${path} shows ${id}`).not.toContain(id);
    }
  });
});

describe('API3: mass assignment', () => {
  interface Forbidden {
    probe: Probe;
    /** The field the answer must name. */
    field: string;
  }

  function cases(): Forbidden[] {
    const detector = { name: 'mass', algorithm: 'iforest' };
    const user = { email: 'mass@acme.example.com', password: 'correct horse battery staple' };
    const rows = [[0.5, 0.5, 0.5]];
    const train = `/api/v1/detectors/${acme.detectorId}/train`;
    const detect = `/api/v1/detectors/${acme.detectorId}/detect`;
    const versions = `/api/v1/models/${acme.modelId}/versions`;
    const document = acme.artifact;
    const csv = { body: 'x,y,z\n1,2,3\n', headers: { 'Content-Type': 'text/csv' } };
    return [
      {
        field: 'tenantId',
        probe: {
          path: '/api/v1/detectors',
          json: { ...detector, tenantId: globex.tenant.tenantId },
        },
      },
      { field: 'id', probe: { path: '/api/v1/detectors', json: { ...detector, id: missingId() } } },
      {
        field: 'createdAt',
        probe: {
          path: '/api/v1/detectors',
          json: { ...detector, createdAt: '2000-01-01T00:00:00Z' },
        },
      },
      {
        field: 'modelId',
        probe: { path: '/api/v1/detectors', json: { ...detector, modelId: globex.modelId } },
      },
      {
        field: 'latestVersion',
        probe: { path: '/api/v1/detectors', json: { ...detector, latestVersion: 9 } },
      },
      {
        field: 'tenantId',
        probe: {
          path: train,
          json: { datasetId: acme.datasetId, tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'modelId',
        probe: { path: train, json: { datasetId: acme.datasetId, modelId: globex.modelId } },
      },
      {
        field: 'tenantId',
        probe: { path: detect, json: { rows, tenantId: globex.tenant.tenantId } },
      },
      { field: 'modelVersion', probe: { path: detect, json: { rows, modelVersion: 1 } } },
      {
        field: 'tenantId',
        probe: {
          path: '/api/v1/models',
          json: { name: 'mass', algorithm: 'iforest', tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'latestVersion',
        probe: {
          path: '/api/v1/models',
          json: { name: 'mass', algorithm: 'iforest', latestVersion: 5 },
        },
      },
      {
        field: 'champion',
        probe: {
          path: '/api/v1/models',
          json: { name: 'mass', algorithm: 'iforest', champion: 1 },
        },
      },
      { field: 'version', probe: { path: versions, json: { document, version: 99 } } },
      { field: 'sha256', probe: { path: versions, json: { document, sha256: '0'.repeat(64) } } },
      {
        field: 'lineage.tenantId',
        probe: {
          path: versions,
          json: { document, lineage: { tenantId: globex.tenant.tenantId } },
        },
      },
      {
        field: 'tenantId',
        probe: {
          path: `/api/v1/models/${acme.modelId}/promote`,
          json: { version: 1, alias: 'champion', tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'tenantId',
        probe: {
          path: '/api/v1/auth/api-keys',
          json: { name: 'mass', tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'key',
        probe: {
          path: '/api/v1/auth/api-keys',
          json: { name: 'mass', key: 'nmly_chosen_by_the_caller' },
        },
      },
      {
        field: 'id',
        probe: { path: '/api/v1/auth/api-keys', json: { name: 'mass', id: missingId() } },
      },
      {
        field: 'roles',
        probe: { path: '/api/v1/auth/api-keys', json: { name: 'mass', roles: ['root'] } },
      },
      {
        field: 'tenantId',
        probe: {
          path: '/api/v1/auth/users',
          json: { ...user, roles: ['analyst'], tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'roles',
        probe: { path: '/api/v1/auth/users', json: { ...user, roles: ['superadmin'] } },
      },
      {
        field: 'createdAt',
        probe: {
          path: '/api/v1/auth/users',
          json: { ...user, roles: ['viewer'], createdAt: '2000-01-01T00:00:00Z' },
        },
      },
      {
        field: 'tenantId',
        probe: {
          method: 'PATCH',
          path: `/api/v1/auth/users/${acme.userId}`,
          json: { tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'email',
        probe: {
          method: 'PATCH',
          path: `/api/v1/auth/users/${acme.userId}`,
          json: { email: 'taken@globex.example.com' },
        },
      },
      {
        field: 'roles',
        probe: {
          method: 'PATCH',
          path: `/api/v1/auth/users/${acme.userId}`,
          json: { roles: ['owner'] },
        },
      },
      // A viewer's key asking for a token with more roles than the key has.
      {
        field: 'roles',
        probe: { path: '/api/v1/auth/token', json: { apiKey: acme.viewerKey, roles: ['admin'] } },
      },
      {
        field: 'tenantId',
        probe: {
          path: '/api/v1/auth/token',
          json: { apiKey: acme.viewerKey, tenantId: globex.tenant.tenantId },
        },
      },
      {
        field: 'tenantId',
        probe: { path: `/api/v1/datasets?name=mass&tenantId=${globex.tenant.tenantId}`, ...csv },
      },
      { field: 'version', probe: { path: '/api/v1/datasets?name=mass&version=7', ...csv } },
    ];
  }

  it('unknown or forbidden fields are refused with 400 naming the field, never ignored', async () => {
    const before = await stateOf(acme);
    for (const { probe, field } of cases()) {
      const label = `${probe.method ?? 'POST'} ${probe.path} with ${field}`;
      const answer = await send(acme.tenant.token, probe);
      const problem = expectProblem(answer, 400, 'VALIDATION_FAILED', label);
      expect
        .soft(
          problem.errors?.map((error) => error.field),
          label,
        )
        .toContain(field);
      expect.soft(String(problem.detail), label).toContain(field);
    }
    expect(await stateOf(acme)).toEqual(before);
  });
});

describe('API4: hostile bodies', () => {
  const padding = 'x'.repeat(MAX_BYTES + MIB);

  it(`bodies over MAX_REQUEST_SIZE_MB (${MAX_REQUEST_SIZE_MB}) are refused with 413`, async () => {
    const probes: Probe[] = [
      {
        path: '/api/v1/detectors',
        json: { name: 'big', algorithm: 'iforest', parameters: { padding } },
      },
      {
        path: `/api/v1/detectors/${acme.detectorId}/detect`,
        json: { rows: [[0.5, 0.5, 0.5]], padding },
      },
      {
        path: `/api/v1/models/${acme.modelId}/versions`,
        json: { document: acme.artifact, padding },
      },
      { path: '/api/v1/models', json: { name: padding, algorithm: 'iforest' } },
      { path: '/api/v1/auth/token', json: { apiKey: padding } },
      { path: '/api/v1/auth/api-keys', json: { name: padding } },
    ];
    for (const probe of probes) {
      expectProblem(await send(acme.tenant.token, probe), 413, 'PAYLOAD_TOO_LARGE', probe.path);
    }
    const upload = await send(acme.tenant.token, {
      path: '/api/v1/datasets?name=big',
      body: `x\n${'1\n'.repeat(MAX_BYTES)}`,
      headers: { 'Content-Type': 'text/csv' },
    });
    const problem = expectProblem(upload, 413, 'PAYLOAD_TOO_LARGE', '/api/v1/datasets');
    expect.soft(String(problem.detail), '/api/v1/datasets').toContain('MAX_REQUEST_SIZE_MB');
  });

  it('a body streamed without a Content-Length is bounded the same way: 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0)
          controller.enqueue(new TextEncoder().encode('{"name":"streamed","padding":"'));
        if (sent > MAX_BYTES + MIB) controller.close();
        else controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const response = await fetch(`${stack.gatewayUrl}/api/v1/detectors`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${acme.tenant.token}`, 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    });
    const text = await response.text();
    expect(response.status, text).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('a Content-Length shorter or longer than the body: 400 or the connection closed, nothing stored', async () => {
    const { host } = new URL(stack.gatewayUrl);
    const request = (path: string, type: string, body: string, length: number): string =>
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${acme.tenant.token}\r\n` +
      `Content-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n${body}`;
    const detector = JSON.stringify({ name: 'liar', algorithm: 'iforest' });
    // A JSON file, so that a truncated one cannot be a valid smaller file.
    const dataset = JSON.stringify([
      { x: 1, y: 2, z: 3 },
      { x: 4, y: 5, z: 6 },
      { x: 7, y: 8, z: 9 },
    ]);
    const cases = [
      { path: '/api/v1/detectors', type: 'application/json', body: detector, accepted: [400] },
      // The dataset-service answers a malformed file 422, its status for a file it cannot parse.
      {
        path: '/api/v1/datasets?name=liar',
        type: 'application/json',
        body: dataset,
        accepted: [400, 422],
      },
    ];
    for (const { path, type, body, accepted } of cases) {
      for (const length of [body.length - 7, body.length + 100]) {
        const exchange = await rawHttp(stack.gatewayUrl, request(path, type, body, length));
        const label = `${path}, Content-Length ${length} for ${body.length} bytes: ${exchange.text}`;
        expect.soft(exchange.closed || exchange.statuses.length > 0, label).toBe(true);
        for (const status of exchange.statuses) expect.soft(accepted, label).toContain(status);
      }
    }
  });

  it('gzip bombs: 413 once the decoded bytes pass the limit, and memory stays bounded', async () => {
    const small = await gzipBomb(16 * MIB);
    const large = await gzipBomb(1024 * MIB);
    // Deflate stops near 1:1000: 1 GiB of inflated body fits in about a megabyte on the wire.
    expect(small.length).toBeLessThan(64 * 1024);
    expect(large.length).toBeLessThan(MAX_BYTES);
    const watched: ServiceName[] = [
      'auth-service',
      'dataset-service',
      'model-service',
      'detector-service',
      'detector-canary',
    ];
    const before = watched.map((name) => memoryOf(stack.services[name].process.pid));
    const targets = [
      { path: '/api/v1/detectors', type: 'application/json' },
      { path: `/api/v1/detectors/${acme.detectorId}/detect`, type: 'application/json' },
      { path: '/api/v1/datasets?name=bomb', type: 'text/csv' },
      { path: '/api/v1/models', type: 'application/json' },
      { path: '/api/v1/auth/token', type: 'application/json' },
    ];
    for (const { path, type } of targets) {
      for (const bomb of [small, large]) {
        const answer = await stack.call(path, {
          token: acme.tenant.token,
          body: new Blob([new Uint8Array(bomb)]),
          headers: { 'Content-Type': type, 'Content-Encoding': 'gzip' },
        });
        expectProblem(answer, 413, 'PAYLOAD_TOO_LARGE', `${path}, ${bomb.length} bytes`);
      }
    }
    watched.forEach((name, i) => {
      const after = memoryOf(stack.services[name].process.pid);
      const start = before[i]!;
      // Inflating even one bomb in full would take a gigabyte; reading up to the limit, a few MB.
      expect(after.peak - start.peak, `${name} peak resident memory grew`).toBeLessThan(256 * MIB);
      expect(after.rss - start.rss, `${name} resident memory grew`).toBeLessThan(256 * MIB);
    });
    expectStatus(
      await stack.call(`/api/v1/detectors/${acme.detectorId}`, { token: acme.tenant.token }),
      200,
    );
  }, 120_000);

  it('a body that is not what its Content-Encoding says: 400; an unknown encoding: 415', async () => {
    const garbage = await stack.call('/api/v1/detectors', {
      token: acme.tenant.token,
      body: '{"name":"not gzip","algorithm":"iforest"}',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    expectProblem(garbage, 400, 'VALIDATION_FAILED');
    const unknown = await stack.call('/api/v1/detectors', {
      token: acme.tenant.token,
      body: '{"name":"zstd","algorithm":"iforest"}',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'zstd' },
    });
    expect
      .soft(String(expectProblem(unknown, 415, 'UNSUPPORTED_MEDIA_TYPE').detail))
      .toContain('zstd');
  });

  it('JSON nested 100,000 deep: 400 saying so, and every service keeps serving', async () => {
    const arrays = nestedArrays(100_000);
    const objects = nestedObjects(100_000);
    const probes: Probe[] = [
      { path: '/api/v1/detectors', ...json(arrays) },
      {
        path: '/api/v1/detectors',
        ...json(`{"name":"deep","algorithm":"iforest","parameters":${objects}}`),
      },
      { path: `/api/v1/detectors/${acme.detectorId}/detect`, ...json(`{"rows":${arrays}}`) },
      { path: `/api/v1/detectors/${acme.detectorId}/train`, ...json(`{"datasetId":${arrays}}`) },
      {
        path: '/api/v1/models',
        ...json(`{"name":"deep","algorithm":"iforest","detectorId":${arrays}}`),
      },
      { path: `/api/v1/models/${acme.modelId}/versions`, ...json(`{"document":${objects}}`) },
      { path: '/api/v1/auth/token', ...json(`{"apiKey":${arrays}}`) },
      { path: '/api/v1/auth/api-keys', ...json(`{"name":"deep","roles":${arrays}}`) },
    ];
    for (const probe of probes) {
      const answer = await send(acme.tenant.token, probe);
      const problem = expectProblem(answer, 400, 'VALIDATION_FAILED', probe.path);
      expect.soft(problem.detail, probe.path).toMatch(/nest|deep|depth/i);
    }
    const upload = await send(acme.tenant.token, {
      path: '/api/v1/datasets?name=deep',
      ...json(`[{"x":${arrays}}]`),
    });
    // A file the dataset-service cannot take as a table is 422 by its convention.
    expect.soft([400, 422], upload.text).toContain(upload.status);
    expect(stack.exited()).toEqual([]);
    for (const path of [
      `/api/v1/detectors/${acme.detectorId}`,
      `/api/v1/datasets/${acme.datasetId}`,
      `/api/v1/models/${acme.modelId}`,
      '/api/v1/auth/me',
    ]) {
      expectStatus(await stack.call(path, { token: acme.tenant.token }), 200);
    }
  });

  it('10,001 rows in one detect (MAX_DETECTION_BATCH_SIZE 10,000): refused naming the limit', async () => {
    const rows = (n: number): number[][] =>
      Array.from({ length: n }, (_, i) => [(i % 100) / 100, 0.5, 0.25]);
    const records = (n: number): Array<Record<string, number>> =>
      rows(n).map(([x = 0, y = 0, z = 0]) => ({ x, y, z }));
    const path = `/api/v1/detectors/${acme.detectorId}/detect`;
    for (const body of [{ rows: rows(10_001) }, { records: records(10_001) }]) {
      const answer = await stack.call(path, { token: acme.tenant.token, json: body });
      expect.soft([413, 422], answer.text).toContain(answer.status);
      const problem = answer.body as { detail: string };
      expect.soft(String(problem.detail)).toContain('MAX_DETECTION_BATCH_SIZE');
      expect.soft(String(problem.detail)).toMatch(/10,?000/);
    }
    // The limit is exactly there: 10,000 rows are scored (and not stored: no save).
    const scored = expectStatus<{ scores: number[] }>(
      await stack.call(path, { token: acme.tenant.token, json: { rows: rows(10_000) } }),
      200,
    );
    expect.soft(scored.scores).toHaveLength(10_000);
  });
});

describe('prototype pollution', () => {
  const MARK = 'polluted-by-abuse-test';
  const payload = `{"name":"${MARK}","algorithm":"iforest","polluted":"${MARK}"}`;
  const proto = `"__proto__":${payload}`;
  const ctor = `"constructor":{"prototype":${payload}}`;

  it('__proto__ and constructor.prototype keys are refused with 400 naming them', async () => {
    const probes: Probe[] = [
      { path: '/api/v1/detectors', ...json(`{"name":"p","algorithm":"iforest",${proto}}`) },
      { path: '/api/v1/detectors', ...json(`{"name":"p","algorithm":"iforest",${ctor}}`) },
      {
        path: '/api/v1/detectors',
        ...json(`{"name":"p","algorithm":"iforest","parameters":{${proto}}}`),
      },
      {
        path: `/api/v1/detectors/${acme.detectorId}/detect`,
        ...json(`{"rows":[[0.5,0.5,0.5]],${proto}}`),
      },
      {
        path: `/api/v1/detectors/${acme.detectorId}/detect`,
        ...json(`{"records":[{"x":1,"y":1,"z":1,${proto}}]}`),
      },
      { path: '/api/v1/models', ...json(`{"name":"p","algorithm":"iforest",${ctor}}`) },
      {
        path: `/api/v1/models/${acme.modelId}/promote`,
        ...json(`{"version":1,"alias":"champion",${proto}}`),
      },
      { path: '/api/v1/auth/token', ...json(`{"apiKey":"nmly_x",${proto}}`) },
      { path: '/api/v1/auth/api-keys', ...json(`{"name":"p",${ctor}}`) },
    ];
    for (const probe of probes) {
      const answer = await send(acme.tenant.token, probe);
      const label = `${probe.path} ${probe.body ?? ''}`;
      const problem = expectProblem(answer, 400, 'VALIDATION_FAILED', label);
      expect.soft(problem.detail, label).toMatch(/__proto__|prototype/);
    }
    // The same keys in an uploaded file and in the query of an upload.
    const uploads: Probe[] = [
      { path: '/api/v1/datasets?name=p', ...json('[{"x":1,"__proto__":2},{"x":2,"__proto__":3}]') },
      {
        path: '/api/v1/datasets?name=p',
        body: '{"x":1,"__proto__":2}\n{"x":2,"__proto__":3}\n',
        headers: { 'Content-Type': 'application/x-ndjson' },
      },
      {
        path: '/api/v1/datasets?name=p&__proto__=x',
        body: 'x\n1\n2\n',
        headers: { 'Content-Type': 'text/csv' },
      },
      {
        path: '/api/v1/datasets?name=p&constructor[prototype][polluted]=yes',
        body: 'x\n1\n2\n',
        headers: { 'Content-Type': 'text/csv' },
      },
    ];
    for (const probe of uploads) {
      const answer = await send(acme.tenant.token, probe);
      const label = `${probe.path} ${probe.body ?? ''}: ${answer.text}`;
      // A file the dataset-service cannot take as a table is 422 by its convention.
      expect.soft([400, 422], label).toContain(answer.status);
      expect
        .soft((answer.body as { detail?: string }).detail, label)
        .toMatch(/__proto__|prototype/);
    }
  });

  it('leave Object.prototype untouched: nothing inherited fills a missing field or shows up', async () => {
    // Were Object.prototype.name and .algorithm set, an empty body would pass validation.
    for (const path of ['/api/v1/detectors', '/api/v1/models']) {
      const problem = expectProblem(
        await stack.call(path, { token: acme.tenant.token, json: {} }),
        400,
        'VALIDATION_FAILED',
      );
      const fields = problem.errors?.map((error) => error.field);
      expect.soft(fields).toContain('name');
      expect.soft(fields).toContain('algorithm');
    }
    expectProblem(
      await stack.call('/api/v1/auth/api-keys', { token: acme.tenant.token, json: {} }),
      400,
      'VALIDATION_FAILED',
    );
    for (const path of [
      `/api/v1/detectors/${acme.detectorId}`,
      '/api/v1/detectors',
      `/api/v1/datasets/${acme.datasetId}`,
      `/api/v1/models/${acme.modelId}`,
      `/api/v1/models/${acme.modelId}/versions/1`,
      '/api/v1/auth/me',
      '/api/v1/auth/api-keys',
    ]) {
      const answer = await stack.call(path, { token: acme.tenant.token });
      expectStatus(answer, 200);
      expect.soft(answer.text, path).not.toContain(MARK);
    }
  });
});

describe('API5: roles reaching above themselves', () => {
  function analystRoutes(): Probe[] {
    return [
      { path: '/api/v1/detectors', json: { name: 'v', algorithm: 'iforest' } },
      { method: 'DELETE', path: `/api/v1/detectors/${acme.detectorId}` },
      { path: `/api/v1/detectors/${acme.detectorId}/train`, json: { datasetId: acme.datasetId } },
      {
        path: `/api/v1/detectors/${acme.detectorId}/detect?save=true`,
        json: { rows: [[0.5, 0.5, 0.5]] },
      },
      {
        path: '/api/v1/datasets?name=v',
        body: 'x\n1\n2\n',
        headers: { 'Content-Type': 'text/csv' },
      },
      { method: 'DELETE', path: `/api/v1/datasets/${acme.datasetId}` },
      { path: '/api/v1/models', json: { name: 'v', algorithm: 'iforest' } },
      { path: `/api/v1/models/${acme.modelId}/versions`, json: { document: acme.artifact } },
    ];
  }

  function adminRoutes(): Probe[] {
    return [
      { path: `/api/v1/models/${acme.modelId}/promote`, json: { version: 2, alias: 'champion' } },
      { method: 'POST', path: `/api/v1/models/${acme.modelId}/rollback` },
      { path: '/api/v1/auth/api-keys' },
      { path: '/api/v1/auth/api-keys', json: { name: 'escalate', roles: ['admin'] } },
      { method: 'DELETE', path: `/api/v1/auth/api-keys/${acme.adminKeyId}` },
      { path: '/api/v1/auth/users' },
      {
        path: '/api/v1/auth/users',
        json: {
          email: 'escalate@acme.example.com',
          password: 'correct horse battery staple',
          roles: ['admin'],
        },
      },
      { method: 'PATCH', path: `/api/v1/auth/users/${acme.userId}`, json: { roles: ['admin'] } },
    ];
  }

  it('a viewer on analyst and admin routes, an analyst on admin routes: 403, nothing changed', async () => {
    const before = await stateOf(acme);
    const attempts: Array<[string, string, Probe]> = [
      ...[...analystRoutes(), ...adminRoutes()].map((probe): [string, string, Probe] => [
        'viewer',
        acme.viewerToken,
        probe,
      ]),
      ...adminRoutes().map((probe): [string, string, Probe] => [
        'analyst',
        acme.analystToken,
        probe,
      ]),
    ];
    for (const [role, token, probe] of attempts) {
      const answer = await send(token, probe);
      expectProblem(answer, 403, 'FORBIDDEN', `${role}: ${probe.method ?? ''} ${probe.path}`);
    }
    expect(await stateOf(acme)).toEqual(before);
  });
});

describe('API2: broken authentication', () => {
  const routes: Probe[] = [
    { path: '/api/v1/detectors' },
    { path: '/api/v1/datasets' },
    { path: '/api/v1/models' },
    { path: '/api/v1/results' },
    { path: '/api/v1/auth/me' },
    { path: '/api/v1/auth/api-keys' },
    {
      path: `/api/v1/detectors/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/detect`,
      json: { rows: [[1, 2, 3]] },
    },
  ];

  function badTokens(): Record<string, string> {
    const real = decodeToken(acme.tenant.token);
    const now = Math.floor(Date.now() / 1000);
    const viewer = decodeToken(acme.viewerToken);
    return {
      garbage: 'not-a-token',
      'three dots': 'a.b.c',
      truncated: acme.tenant.token.slice(0, -12),
      'signed by another key': forgedToken(real),
      'signed by another key, for another tenant': forgedToken({
        header: real.header,
        claims: { ...real.claims, tid: globex.tenant.tenantId },
      }),
      'expired, signed by another key': forgedToken({
        header: real.header,
        claims: { ...real.claims, iat: now - 7_200, exp: now - 3_600 },
      }),
      'a viewer token with its roles rewritten': tamperedToken(acme.viewerToken, {
        ...viewer.claims,
        roles: ['admin'],
      }),
      'alg none': unsignedToken(real.claims),
    };
  }

  it('a malformed, forged or expired-looking token: 401 with one and the same body', async () => {
    const tokens = badTokens();
    for (const probe of routes) {
      // Every answer is compared with the first: which check failed must not show.
      const reference = await send('not-a-token', probe);
      expectProblem(reference, 401, 'UNAUTHENTICATED', probe.path);
      for (const [name, token] of Object.entries(tokens)) {
        const answer = await send(token, probe);
        const label = `${probe.path} with ${name}`;
        expect.soft(answer.status, `${label}: ${answer.text}`).toBe(401);
        expect
          .soft(answer.headers.get('content-type'), label)
          .toBe(reference.headers.get('content-type'));
        expect.soft(answer.text, label).toBe(reference.text);
      }
    }
  });

  it('no bearer token at all: 401 saying which header is needed (the caller knows it sent none)', async () => {
    for (const probe of routes) {
      const reference = await send(undefined, probe);
      expectProblem(reference, 401, 'UNAUTHENTICATED', probe.path);
      expect((reference.body as { detail: string }).detail).toMatch(/Authorization: Bearer/);
      const variants: Array<[string, ApiResponse]> = [
        [
          'the Basic scheme',
          await send(undefined, { ...probe, headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }),
        ],
        [
          'an empty bearer',
          await send(undefined, { ...probe, headers: { Authorization: 'Bearer ' } }),
        ],
      ];
      for (const [name, answer] of variants) {
        expect.soft(answer.status, `${probe.path} with ${name}`).toBe(401);
        expect.soft(answer.text, `${probe.path} with ${name}`).toBe(reference.text);
      }
    }
  });

  it('a real token past its expiry: the same 401', async () => {
    const probe = routes[0]!;
    const reference = await send('not-a-token', probe);
    // The key (and so the token) expired 2 s after issue; verifiers allow some clock skew.
    const expired = await eventually(async () => {
      const answer = await send(expiring, probe);
      expect(answer.status).toBe(401);
      return answer;
    }, 90_000);
    expect(expired.text).toBe(reference.text);
  }, 120_000);
});
