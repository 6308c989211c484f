/**
 * `nomaly` as a client of the running stack, run as a user runs it (the built command, a
 * process of its own, a home folder of its own) against the gateway: every client command once,
 * the `--json` shapes scripts rely on, and the failures a user meets — a wrong key, a server
 * that is not there, an id that does not exist, a job that does not succeed — each with its
 * one-line message and exit code.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, generateDataset } from '../support/api.js';
import { cliUser, type CliUser, type NomalyRun } from '../support/cli.js';
import { startStack, type Stack, type Tenant } from '../support/stack.js';

/** Above this many rows a training is a job (202): `large` trains as one, `small` in the call. */
const SYNC_TRAIN_MAX_ROWS = '1000';
const large = generateDataset(11, 1_500);
const small = generateDataset(12, 400);
const UUID = /^[0-9a-f-]{36}$/;

let stack: Stack;
let tenant: Tenant;
let user: CliUser;
let largeCsv: string;
let smallCsv: string;

beforeAll(async () => {
  const detectorEnv = { SYNC_TRAIN_MAX_ROWS };
  stack = await startStack({
    canary: false,
    worker: true,
    env: { 'detector-service': detectorEnv },
  });
  tenant = await stack.tenant('cli');
  user = cliUser();
  largeCsv = join(user.home, 'sensors.csv');
  smallCsv = join(user.home, 'small.csv');
  writeFileSync(largeCsv, large.csv);
  writeFileSync(smallCsv, small.csv);
});

afterAll(async () => {
  await stack?.stop();
});

/** The run's JSON output, after checking it exited 0 and wrote nothing else to stdout. */
function json<T>(run: NomalyRun): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface Dataset {
  id: string;
  name: string;
  version: number;
  rows: number;
  columnCount: number;
  labelColumn?: string;
  columns: Array<{ name: string; type: string; role: string }>;
}

interface Job {
  id: string;
  type: string;
  state: string;
  progress: { rows: number; totalRows: number };
  result?: { modelVersion: { modelId: string; version: number } };
}

interface Model {
  id: string;
  detectorId: string;
  latestVersion: number;
  champion: number | null;
  challenger: number | null;
}

describe('nomaly as a client of the running stack', () => {
  let datasetId: string;
  let smallId: string;
  let detectorId: string;
  let modelId: string;

  it('login refuses a wrong key (exit 5, one line, nothing stored) and stores a good one 0600', async () => {
    const wrong = await user.run(['login', stack.gatewayUrl, '--api-key-stdin'], {
      input: `nmly_${'a'.repeat(40)}\n`,
    });
    expect(wrong.code).toBe(5);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(
      new RegExp(
        `^nomaly: the API key was refused by ${stack.gatewayUrl} \\(401 UNAUTHENTICATED: [^\\n]+\\); run nomaly login\\n$`,
      ),
    );
    expect(existsSync(user.configFile)).toBe(false);

    const login = json<Record<string, unknown>>(
      await user.run(['login', stack.gatewayUrl, '--api-key-stdin', '--json'], {
        input: `${tenant.apiKey}\n`,
      }),
    );
    expect(login).toEqual({
      url: stack.gatewayUrl,
      tenantId: tenant.tenantId,
      roles: ['admin'],
      configFile: user.configFile,
    });
    expect(statSync(user.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(user.configFile, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(user.configFile, 'utf8'))).toEqual({
      url: stack.gatewayUrl,
      apiKey: tenant.apiKey,
    });
  });

  it('datasets upload, list and show', async () => {
    const uploaded = json<Dataset>(
      await user.run(['datasets', 'upload', largeCsv, '--name', 'sensors', '--json']),
    );
    expect(uploaded).toMatchObject({
      name: 'sensors',
      version: 1,
      rows: large.rows.length,
      columnCount: large.features.length + 1,
      labelColumn: 'label',
    });
    expect(uploaded.id).toMatch(UUID);
    expect(uploaded.columns.map((c) => [c.name, c.role])).toEqual([
      ...large.features.map((name) => [name, 'feature']),
      ['label', 'label'],
    ]);
    datasetId = uploaded.id;

    const human = await user.run(['datasets', 'upload', smallCsv]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^Uploaded small version 1: 400 rows × 5 columns, label column 'label'\nid ([0-9a-f-]{36})\n$/,
    );
    smallId = /id ([0-9a-f-]{36})/.exec(human.stdout)?.[1] ?? '';

    const listed = json<{ items: Dataset[]; nextCursor?: string }>(
      await user.run(['datasets', 'list', '--json']),
    );
    expect(listed.items.map((d) => d.id)).toEqual([datasetId, smallId]);
    expect(listed.nextCursor).toBeUndefined();
    const paged = await user.run(['datasets', 'list', '--limit', '1']);
    expect(paged.code).toBe(0);
    expect(paged.stdout.split('\n')[0]).toMatch(
      /^ID +NAME +VERSION +ROWS +COLUMNS +LABEL +CREATED$/,
    );
    expect(paged.stdout).toContain(datasetId);
    expect(paged.stdout).not.toContain(smallId);
    expect(paged.stderr).toMatch(/^more: nomaly datasets list --cursor \S+\n$/);

    const shown = json<Dataset>(await user.run(['datasets', 'show', datasetId, '--json']));
    expect(shown).toMatchObject({ id: datasetId, rows: large.rows.length });
    const table = await user.run(['datasets', 'show', datasetId]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`dataset   ${datasetId}`);
    expect(table.stdout).toMatch(/^f0 +numeric +feature +1500 +0 /m);
    expect(table.stdout).toContain('duplicate rows     0');
  });

  it('detectors create and list; an unknown algorithm is an API error naming it', async () => {
    const created = json<{ id: string; algorithm: string; parameters: Record<string, unknown> }>(
      await user.run([
        'detectors',
        'create',
        '--name',
        'sensor forest',
        '--algorithm',
        'iforest',
        '--param',
        'nEstimators=60',
        '--contamination',
        '0.05',
        '--json',
      ]),
    );
    expect(created).toMatchObject({
      algorithm: 'iforest',
      parameters: { nEstimators: 60, contamination: 0.05 },
    });
    detectorId = created.id;

    const unknown = await user.run(['detectors', 'create', '--name', 'x', '-a', 'deep-magic']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(
      /^nomaly: POST \/api\/v1\/detectors: the API answered 400 .*algorithm must be one of .*iforest.*\[VALIDATION_FAILED\]\n$/,
    );

    const listed = json<{ items: Array<{ id: string; latestVersion: number | null }> }>(
      await user.run(['detectors', 'list', '--json']),
    );
    expect(listed.items).toEqual([
      expect.objectContaining({ id: detectorId, latestVersion: null }),
    ]);
    const table = await user.run(['detectors', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${detectorId} +sensor forest +iforest +- +- `, 'm'));
  });

  it('detectors train: a small dataset within the call, a large one as a job followed by --wait', async () => {
    const inCall = json<{ modelVersion: { modelId: string; version: number }; rows: number }>(
      await user.run([
        'detectors',
        'train',
        detectorId,
        '--dataset',
        smallId,
        '--seed',
        '7',
        '--json',
      ]),
    );
    expect(inCall).toMatchObject({ rows: small.rows.length, modelVersion: { version: 1 } });
    modelId = inCall.modelVersion.modelId;

    const waited = json<Job>(
      await user.run([
        'detectors',
        'train',
        detectorId,
        '--dataset',
        datasetId,
        '--seed',
        '7',
        '--wait',
        '--timeout',
        '120',
        '--json',
      ]),
    );
    expect(waited).toMatchObject({
      type: 'train',
      state: 'succeeded',
      progress: { rows: large.rows.length, totalRows: large.rows.length },
      result: { modelVersion: { modelId, version: 2 } },
    });
  });

  it('jobs watch and show a job that train handed back without --wait', async () => {
    const accepted = json<Job & { jobId: string }>(
      await user.run(['detectors', 'train', detectorId, '--dataset', datasetId, '--json']),
    );
    expect(accepted.jobId).toMatch(UUID);
    expect(['queued', 'running', 'succeeded']).toContain(accepted.state);

    const watched = await user.run(['jobs', 'watch', accepted.jobId, '--timeout', '120']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`job       ${accepted.jobId}`);
    expect(watched.stdout).toContain('state     succeeded');
    expect(watched.stdout).toContain(`result    model ${modelId} version 3`);

    const shown = json<Job>(await user.run(['jobs', 'show', accepted.jobId, '--json']));
    expect(shown).toMatchObject({ id: accepted.jobId, state: 'succeeded' });
  });

  it('detect DETECTOR_ID FILE.csv prints the API’s scores in input order, in batches', async () => {
    const direct = expectStatus<{
      scores: number[];
      labels: number[];
      modelVersion: { version: number };
    }>(
      await stack.call(`/api/v1/detectors/${detectorId}/detect`, {
        token: tenant.token,
        json: { rows: small.rows },
      }),
      200,
    );
    expect(direct.modelVersion.version).toBe(3);
    const csv = await user.run(['detect', detectorId, smallCsv, '--batch-size', '150']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('score,label');
    expect(lines.slice(1)).toEqual(direct.scores.map((s, i) => `${s},${direct.labels[i]}`));

    const document = json<Record<string, unknown>>(
      await user.run(['detect', detectorId, smallCsv, '--json']),
    );
    expect(document).toMatchObject({
      detectorId,
      modelVersion: { modelId, version: 3 },
      features: small.features,
      rows: small.rows.length,
      anomalies: direct.labels.filter((l) => l === 1).length,
      scores: direct.scores,
      labels: direct.labels,
    });

    // The local form is unchanged: one file and --algorithm fit here.
    const local = await user.run(['detect', smallCsv, '--algorithm', 'iforest', '--seed', '1']);
    expect(local.code).toBe(0);
    expect(local.stdout.trimEnd().split('\n')).toHaveLength(small.rows.length + 1);
  });

  it('models list, promote and rollback', async () => {
    const listed = json<{ items: Model[] }>(await user.run(['models', 'list', '--json']));
    expect(listed.items).toEqual([
      expect.objectContaining({ id: modelId, detectorId, latestVersion: 3, champion: null }),
    ]);

    const first = await user.run(['models', 'promote', modelId, '--version', '1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^Promoted \S+ version 1 to champion\. champion: 1, challenger: -\n$/,
    );
    json(await user.run(['models', 'promote', modelId, '--version', '2', '--json']));
    const challenger = json<Model>(
      await user.run([
        'models',
        'promote',
        modelId,
        '--version',
        '3',
        '--alias',
        'challenger',
        '--json',
      ]),
    );
    expect(challenger).toMatchObject({ champion: 2, challenger: 3 });

    const rolledBack = json<Model>(await user.run(['models', 'rollback', modelId, '--json']));
    expect(rolledBack.champion).toBe(1);
    const table = await user.run(['models', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${modelId} +\\S+ +iforest +3 +1 +3 `, 'm'));
    const nothingLeft = await user.run(['models', 'rollback', modelId]);
    expect(nothingLeft.code).toBe(3);
    expect(nothingLeft.stderr).toMatch(/the API answered 409 .*\[CONFLICT\]\n$/);
  });

  it('names the id of what does not exist (exit 3)', async () => {
    const missing = randomUUID();
    const dataset = await user.run(['datasets', 'show', missing]);
    expect(dataset.code).toBe(3);
    expect(dataset.stdout).toBe('');
    expect(dataset.stderr).toMatch(
      new RegExp(
        `^nomaly: GET /api/v1/datasets/${missing}: the API answered 404 .*${missing}.*\\[NOT_FOUND\\]\\n$`,
      ),
    );
    const job = await user.run(['jobs', 'watch', missing, '--json']);
    expect(job.code).toBe(3);
    expect(job.stdout).toBe('');
    expect(job.stderr).toContain(`/api/v1/jobs/${missing}: the API answered 404`);
  });

  it('a wrong key in NOMALY_API_KEY: one line naming it, exit 5', async () => {
    const run = await user.run(['datasets', 'list', '--json'], {
      env: { NOMALY_API_KEY: `nmly_${'b'.repeat(40)}` },
    });
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^nomaly: the API key in NOMALY_API_KEY was refused by \S+ \(401 UNAUTHENTICATED: [^\n]+\); fix or unset NOMALY_API_KEY\n$/,
    );
  });

  it('an unreachable server: the URL and ECONNREFUSED, exit 4', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await user.run(['models', 'list'], { env: { NOMALY_URL: url } });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^nomaly: cannot reach ${url} \\(POST /api/v1/auth/token\\): [^\\n]*ECONNREFUSED[^\\n]*\\n$`,
      ),
    );
  });

  it('jobs watch: exit 6 while a job waits past --timeout, exit 1 once it is cancelled', async () => {
    // With the worker gone a submitted job stays queued, so both outcomes are certain.
    await stack.worker?.stop();
    const submitted = expectStatus<{ id: string; state: string }>(
      await stack.call('/api/v1/jobs', {
        token: tenant.token,
        json: { type: 'train', detectorId, datasetId },
      }),
      202,
    );
    expect(submitted.state).toBe('queued');

    const waiting = await user.run(['jobs', 'watch', submitted.id, '--timeout', '1']);
    expect(waiting.code).toBe(6);
    expect(waiting.stderr).toBe(
      `nomaly: job ${submitted.id} is still queued after 1 s; it goes on: nomaly jobs watch ${submitted.id}\n`,
    );

    expectStatus(
      await stack.call(`/api/v1/jobs/${submitted.id}/cancel`, { token: tenant.token, json: {} }),
      200,
    );
    const cancelled = await user.run(['jobs', 'watch', submitted.id, '--json']);
    expect(cancelled.code).toBe(1);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: submitted.id, state: 'cancelled' });
    expect(cancelled.stderr).toMatch(new RegExp(`^nomaly: job ${submitted.id} ended cancelled`));
  });

  it('logout forgets the key; the next command says how to log in (exit 5)', async () => {
    const out = json<{ configFile: string; removed: boolean }>(
      await user.run(['logout', '--json']),
    );
    expect(out).toEqual({ configFile: user.configFile, removed: true });
    expect(existsSync(user.configFile)).toBe(false);
    const after = await user.run(['datasets', 'list']);
    expect(after.code).toBe(5);
    expect(after.stderr).toMatch(/^nomaly: not logged in: run nomaly login URL/);
  });
});
