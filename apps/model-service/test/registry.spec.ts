/**
 * The REST registry against the built service, real Postgres and Redis, and a real auth-service:
 * publication, atomic numbering, verified artifacts, promotion, rollback, edge listing, roles and
 * tenancy.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, loadDetector } from '@nomaly/detection-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainForest, type TrainedModel } from './fixtures.js';
import {
  call,
  count,
  eventually,
  expectProblem,
  sql,
  startStack,
  type Caller,
  type Stack,
} from './harness.js';

let stack: Stack;
let forest: TrainedModel;

interface Model {
  id: string;
  name: string;
  latestVersion: number;
  champion: number | null;
  challenger: number | null;
}
interface Version {
  id: string;
  version: number;
  sha256: string;
  sizeBytes: number;
  stage: string;
  aliases: string[];
  training: { threshold: number; rows: number; durationMs: number | null };
  metrics: { rocAuc: number | null } | null;
  lineage: { datasetId: string | null; codeVersion: string | null };
}

async function createModel(name: string, caller: Caller = stack.analyst): Promise<Model> {
  const response = await call(stack, '/api/v1/models', {
    caller,
    json: { name, algorithm: 'iforest' },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Model;
}

async function publish(modelId: string, body: Record<string, unknown> = {}): Promise<Response> {
  return call(stack, `/api/v1/models/${modelId}/versions`, {
    caller: stack.analyst,
    json: { document: forest.document, ...body },
  });
}

async function published(modelId: string, body: Record<string, unknown> = {}): Promise<Version> {
  const response = await publish(modelId, body);
  expect(response.status).toBe(201);
  return (await response.json()) as Version;
}

async function promote(modelId: string, version: number, alias: string): Promise<Response> {
  return call(stack, `/api/v1/models/${modelId}/promote`, {
    caller: stack.admin,
    json: { version, alias },
  });
}

beforeAll(async () => {
  forest = trainForest(7);
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('publishing over REST', () => {
  it('stores the document with its metadata and serves it back byte-identical and verified', async () => {
    const model = await createModel('rest-roundtrip');
    const version = await published(model.id, {
      trainingDurationMs: 1234,
      metrics: { rocAuc: 0.97, averagePrecision: 0.8 },
      lineage: {
        datasetId: '0b5e0d4c-7a38-4d8b-9a0e-2b1f2d3c4e5f',
        datasetChecksum: 'sha256:abc',
        codeVersion: 'detection-core 0.1.0',
      },
    });
    const expectedBytes = Buffer.from(canonicalJson(forest.document), 'utf8');
    expect(version).toMatchObject({
      version: 1,
      sha256: createHash('sha256').update(expectedBytes).digest('hex'),
      sizeBytes: expectedBytes.length,
      stage: 'none',
      training: {
        threshold: forest.document.threshold,
        rows: forest.rows.length,
        durationMs: 1234,
      },
      metrics: { rocAuc: 0.97, averagePrecision: 0.8 },
      lineage: {
        datasetId: '0b5e0d4c-7a38-4d8b-9a0e-2b1f2d3c4e5f',
        codeVersion: 'detection-core 0.1.0',
      },
    });

    const metadata = await call(stack, `/api/v1/models/${model.id}/versions/1`, {
      caller: stack.viewer,
    });
    expect(await metadata.json()).toEqual(version);

    const artifact = await call(stack, `/api/v1/models/${model.id}/versions/1/artifact`, {
      caller: stack.viewer,
    });
    expect(artifact.status).toBe(200);
    expect(artifact.headers.get('etag')).toBe(`"${version.sha256}"`);
    const bytes = Buffer.from(await artifact.arrayBuffer());
    expect(bytes.equals(expectedBytes)).toBe(true);
    const loaded = loadDetector(JSON.parse(bytes.toString('utf8')));
    expect(loaded.score(forest.rows)).toEqual(forest.detector.score(forest.rows));

    const again = await call(stack, `/api/v1/models/${model.id}/versions/1/artifact`, {
      caller: stack.viewer,
      headers: { 'If-None-Match': `"${version.sha256}"` },
    });
    expect(again.status).toBe(304);
  });

  it('refuses a tampered or unknown-format document with 422 naming why, storing nothing', async () => {
    const model = await createModel('rest-refusals');
    const tampered = await publish(model.id, {
      document: { ...forest.document, threshold: forest.document.threshold / 2 },
    });
    expect(await expectProblem(tampered, 422, 'VALIDATION_FAILED')).toMatch(
      /does not match its sha256/,
    );
    const future = await publish(model.id, { document: { ...forest.document, formatVersion: 2 } });
    expect(await expectProblem(future, 422, 'VALIDATION_FAILED')).toMatch(
      /format version 2 is not supported/,
    );
    const other = await call(stack, `/api/v1/models`, {
      caller: stack.analyst,
      json: { name: 'rest-refusals-lof', algorithm: 'lof' },
    });
    const lofModel = (await other.json()) as Model;
    expect(await expectProblem(await publish(lofModel.id), 422, 'VALIDATION_FAILED')).toMatch(
      /holds a 'iforest' model.*holds 'lof' models/,
    );
    const rows = await sql<{ n: string; latest: number }>(
      stack.database.url,
      `SELECT (SELECT count(*) FROM model.model_versions WHERE model_id IN ($1, $2)) AS n,
              (SELECT max(latest_version) FROM model.models WHERE id IN ($1, $2)) AS latest`,
      [model.id, lofModel.id],
    );
    expect(rows[0]).toEqual({ n: '0', latest: 0 });
  });

  it('rejects unknown fields with 400 and writes nothing', async () => {
    const models = await count(stack, 'models');
    const versions = await count(stack, 'model_versions');
    const model = await call(stack, '/api/v1/models', {
      caller: stack.analyst,
      json: { name: 'sneaky', algorithm: 'iforest', tenantId: stack.stranger.tenantId },
    });
    expect(await expectProblem(model, 400, 'VALIDATION_FAILED')).toMatch(/tenantId/);
    const target = await createModel('unknown-fields');
    const version = await publish(target.id, { stage: 'production' });
    expect(await expectProblem(version, 400, 'VALIDATION_FAILED')).toMatch(/stage/);
    const nested = await publish(target.id, { lineage: { datasetId: null, owner: 'x' } });
    expect(await expectProblem(nested, 400, 'VALIDATION_FAILED')).toMatch(/owner/);
    expect(await count(stack, 'models')).toBe(models + 1);
    expect(await count(stack, 'model_versions')).toBe(versions);
  });

  it('numbers concurrent publications 1..n without gaps or duplicates', async () => {
    const model = await createModel('concurrent');
    const versions = await Promise.all(Array.from({ length: 6 }, () => published(model.id)));
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const got = (await (
      await call(stack, `/api/v1/models/${model.id}`, { caller: stack.viewer })
    ).json()) as Model;
    expect(got.latestVersion).toBe(6);
  });

  it('leaves no half version and no gap when the transaction fails after numbering', async () => {
    const model = await createModel('atomic');
    // Fault injection: the version INSERT fails after the counter was incremented in the same
    // transaction; the rollback must take the increment with it.
    await sql(
      stack.database.url,
      `CREATE FUNCTION model.fail_insert() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
       CREATE TRIGGER fail_insert BEFORE INSERT ON model.model_versions
         FOR EACH ROW WHEN (NEW.model_id = '${model.id}') EXECUTE FUNCTION model.fail_insert();`,
    );
    try {
      await expectProblem(await publish(model.id), 500, 'INTERNAL');
    } finally {
      await sql(
        stack.database.url,
        `DROP TRIGGER fail_insert ON model.model_versions; DROP FUNCTION model.fail_insert();`,
      );
    }
    const [state] = await sql<{ n: string; latest: number }>(
      stack.database.url,
      `SELECT (SELECT count(*) FROM model.model_versions WHERE model_id = $1) AS n,
              (SELECT latest_version FROM model.models WHERE id = $1) AS latest`,
      [model.id],
    );
    expect(state).toEqual({ n: '0', latest: 0 });
    expect((await published(model.id)).version).toBe(1);
  });

  it('never serves an artifact whose stored bytes were changed', async () => {
    const model = await createModel('tampered-in-db');
    const version = await published(model.id);
    await sql(
      stack.database.url,
      `UPDATE model.model_versions
          SET artifact = overlay(artifact placing '9'::bytea from octet_length(artifact) - 20 for 1)
        WHERE model_id = $1`,
      [model.id],
    );
    const response = await call(stack, `/api/v1/models/${model.id}/versions/1/artifact`, {
      caller: stack.viewer,
    });
    const detail = await expectProblem(response, 500, 'INTERNAL');
    expect(detail).toMatch(
      new RegExp(
        `model ${model.id} version 1 failed verification.*the version records ${version.sha256}`,
      ),
    );
    // The log line travels through the child's stdout: it may land just after the response.
    await eventually(() => {
      expect(
        stack.service.logs.some((line) => line.msg === 'stored artifact failed verification'),
      ).toBe(true);
      return Promise.resolve();
    }, 5_000);
  });
});

describe('accuracy metric', () => {
  it("reports each champion's ROC-AUC from the registry, so every replica agrees", async () => {
    const model = await createModel('accuracy');
    await published(model.id, { metrics: { rocAuc: 0.93, averagePrecision: 0.5 } });
    await published(model.id, { metrics: { rocAuc: 0.61, averagePrecision: 0.2 } });
    const unlabelled = await createModel('accuracy-unlabelled');
    await published(unlabelled.id);
    await promote(unlabelled.id, 1, 'champion');
    const accuracy = async () => {
      const text = await (await fetch(`${stack.service.baseUrl}/metrics`)).text();
      return text.split('\n').filter((line) => line.startsWith('nomaly_model_accuracy{'));
    };
    const line = (version: string) =>
      `nomaly_model_accuracy{model_id="${model.id}",model_type="iforest",service="model-service"} ${version}`;

    expect(await accuracy()).not.toContainEqual(expect.stringContaining(model.id));
    await promote(model.id, 1, 'champion');
    expect(await accuracy()).toContain(line('0.93'));
    // A worse champion replaces the value: what ModelAccuracyDegraded fires on.
    await promote(model.id, 2, 'champion');
    const lines = await accuracy();
    expect(lines).toContain(line('0.61'));
    expect(lines.filter((l) => l.includes(model.id))).toHaveLength(1);
    expect(lines).not.toContainEqual(expect.stringContaining(unlabelled.id));
  });
});

describe('aliases', () => {
  it('promotes, rolls back through the champion history, and archives', async () => {
    const model = await createModel('aliases');
    for (let i = 0; i < 3; i++) await published(model.id);
    expect(await expectProblem(await promote(model.id, 9, 'champion'), 404, 'NOT_FOUND')).toMatch(
      /No version 9/,
    );
    expect((await (await promote(model.id, 1, 'production')).json()) as Model).toMatchObject({
      champion: 1,
      challenger: null,
    });
    expect((await (await promote(model.id, 2, 'staging')).json()) as Model).toMatchObject({
      champion: 1,
      challenger: 2,
    });
    // The challenger becomes champion and stops being challenger.
    expect((await (await promote(model.id, 2, 'champion')).json()) as Model).toMatchObject({
      champion: 2,
      challenger: null,
    });
    await promote(model.id, 3, 'champion');
    await expectProblem(await promote(model.id, 3, 'archived'), 409, 'CONFLICT');
    await expectProblem(await promote(model.id, 3, 'challenger'), 409, 'CONFLICT');

    const rollback = () =>
      call(stack, `/api/v1/models/${model.id}/rollback`, { caller: stack.admin, json: {} });
    expect(((await (await rollback()).json()) as Model).champion).toBe(2);
    expect(((await (await rollback()).json()) as Model).champion).toBe(1);
    expect(await expectProblem(await rollback(), 409, 'CONFLICT')).toMatch(/no earlier champion/);

    expect((await promote(model.id, 3, 'archived')).status).toBe(200);
    const versions = (await (
      await call(stack, `/api/v1/models/${model.id}/versions`, { caller: stack.viewer })
    ).json()) as { items: Version[] };
    expect(versions.items.map((v) => [v.version, v.stage, v.aliases])).toEqual([
      [1, 'production', ['champion']],
      [2, 'none', []],
      [3, 'archived', []],
    ]);
    const history = await sql<{ action: string; alias: string; version: number | null }>(
      stack.database.url,
      `SELECT action, alias, version FROM model.model_alias_history WHERE model_id = $1 ORDER BY id`,
      [model.id],
    );
    expect(history.map((h) => `${h.action} ${h.alias} ${h.version}`)).toEqual([
      'promote champion 1',
      'promote challenger 2',
      'unassign challenger null',
      'promote champion 2',
      'promote champion 3',
      'rollback champion 2',
      'rollback champion 1',
    ]);
  });

  it('caches alias resolutions in Redis and drops them on promotion', async () => {
    const model = await createModel('alias-cache');
    await published(model.id);
    await published(model.id);
    await promote(model.id, 1, 'champion');
    const resolve = async () =>
      (await (
        await call(stack, `/api/v1/models/${model.id}/aliases/champion`, { caller: stack.viewer })
      ).json()) as { version: number; sha256: string };
    expect((await resolve()).version).toBe(1);
    // Moved behind the service's back: the cached answer is still served…
    await sql(
      stack.database.url,
      `UPDATE model.model_aliases SET version = 2 WHERE model_id = $1`,
      [model.id],
    );
    expect((await resolve()).version).toBe(1);
    // …until a promotion through the service invalidates it.
    await promote(model.id, 2, 'champion');
    expect((await resolve()).version).toBe(2);
  });

  it('lists each champion for the edge with what nodes compare', async () => {
    const edgeCaller = await stack.auth.tokenFor(`edge-${Date.now().toString(36)}`, ['admin']);
    const ask = async () =>
      (await (await call(stack, '/api/v1/models/edge', { caller: edgeCaller })).json()) as {
        items: Array<Record<string, unknown>>;
      };
    expect((await ask()).items).toEqual([]);
    const make = async (name: string) => {
      const model = await createModel(name, edgeCaller);
      const response = await call(stack, `/api/v1/models/${model.id}/versions`, {
        caller: edgeCaller,
        json: { document: forest.document },
      });
      return { model, version: (await response.json()) as Version };
    };
    const b = await make('edge-b');
    const a = await make('edge-a');
    await make('edge-without-champion');
    for (const { model } of [a, b]) {
      await call(stack, `/api/v1/models/${model.id}/promote`, {
        caller: edgeCaller,
        json: { version: 1, alias: 'champion' },
      });
    }
    const { items } = await ask();
    expect(items.map((item) => item['name'])).toEqual(['edge-a', 'edge-b']);
    expect(items[0]).toEqual({
      modelId: a.model.id,
      name: 'edge-a',
      version: 1,
      sha256: a.version.sha256,
      algorithm: 'iforest',
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
  });
});

describe('roles and tenancy', () => {
  it('lets viewers read but not publish or promote, and analysts not promote', async () => {
    const model = await createModel('roles');
    await published(model.id);
    const versions = await count(stack, 'model_versions');
    const aliases = await count(stack, 'model_aliases');
    await expectProblem(
      await call(stack, `/api/v1/models/${model.id}/versions`, {
        caller: stack.viewer,
        json: { document: forest.document },
      }),
      403,
      'FORBIDDEN',
    );
    await expectProblem(
      await call(stack, '/api/v1/models', {
        caller: stack.viewer,
        json: { name: 'viewer-model', algorithm: 'iforest' },
      }),
      403,
      'FORBIDDEN',
    );
    for (const caller of [stack.viewer, stack.analyst]) {
      await expectProblem(
        await call(stack, `/api/v1/models/${model.id}/promote`, {
          caller,
          json: { version: 1, alias: 'champion' },
        }),
        403,
        'FORBIDDEN',
      );
    }
    expect(await count(stack, 'model_versions')).toBe(versions);
    expect(await count(stack, 'model_aliases')).toBe(aliases);
    const unauthenticated = await call(stack, '/api/v1/models');
    await expectProblem(unauthenticated, 401, 'UNAUTHENTICATED');
  });

  it('answers another tenant’s ids exactly like missing ones', async () => {
    const model = await createModel('private');
    await published(model.id);
    await promote(model.id, 1, 'champion');
    const missing = '00000000-0000-4000-8000-000000000000';
    const probes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['GET', '/versions'],
      ['GET', '/versions/1'],
      ['GET', '/versions/1/artifact'],
      ['GET', '/aliases/champion'],
      ['POST', '/versions', { document: forest.document }],
      ['POST', '/promote', { version: 1, alias: 'challenger' }],
      ['POST', '/rollback', {}],
    ];
    for (const [method, suffix, json] of probes) {
      const theirs = await call(stack, `/api/v1/models/${model.id}${suffix}`, {
        method,
        caller: stack.stranger,
        ...(json === undefined ? {} : { json }),
      });
      const nobodys = await call(stack, `/api/v1/models/${missing}${suffix}`, {
        method,
        caller: stack.stranger,
        ...(json === undefined ? {} : { json }),
      });
      const a = await expectProblem(theirs, 404, 'NOT_FOUND');
      const b = await expectProblem(nobodys, 404, 'NOT_FOUND');
      expect(a.replace(model.id, '<id>'), `${method} ${suffix}`).toBe(b.replace(missing, '<id>'));
    }
    const list = (await (
      await call(stack, '/api/v1/models', { caller: stack.stranger })
    ).json()) as { items: Model[] };
    expect(list.items).toEqual([]);
    const edge = (await (
      await call(stack, '/api/v1/models/edge', { caller: stack.stranger })
    ).json()) as { items: unknown[] };
    expect(edge.items).toEqual([]);
    expect(
      (await (
        await call(stack, `/api/v1/models/${model.id}`, { caller: stack.viewer })
      ).json()) as Model,
    ).toMatchObject({ latestVersion: 1, champion: 1 });
  });

  it('pages through models with a cursor', async () => {
    const tenant = await stack.auth.tokenFor(`paging-${Date.now().toString(36)}`, ['analyst']);
    for (const name of ['p1', 'p2', 'p3']) await createModel(name, tenant);
    const first = (await (
      await call(stack, '/api/v1/models?limit=2', { caller: tenant })
    ).json()) as { items: Model[]; nextCursor?: string };
    expect(first.items.map((m) => m.name)).toEqual(['p1', 'p2']);
    const second = (await (
      await call(stack, `/api/v1/models?limit=2&cursor=${first.nextCursor ?? ''}`, {
        caller: tenant,
      })
    ).json()) as { items: Model[]; nextCursor?: string };
    expect(second.items.map((m) => m.name)).toEqual(['p3']);
    expect(second.nextCursor).toBeUndefined();
  });
});
