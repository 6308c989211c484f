/**
 * The API client commands as a user runs them (the built `nomaly`, a process of its own)
 * against a stub of the gateway: what they send, what they print, and the exit code of every
 * kind of failure. The whole running stack is exercised by e2e/test/cli.spec.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { problem, StubApi, VALID_KEY, type StubRequest } from './api-stub.js';
import { BIN, closedPort, isolatedHome, runCliAsync } from './cli-process.js';
import { tempDir } from './run-cli.js';

let stub: StubApi;
beforeAll(async () => {
  stub = await StubApi.start();
});
afterAll(async () => {
  await stub.close();
});
afterEach(() => {
  stub.requests.length = 0;
  stub.expired.clear();
});

/** The environment of a logged-in user: the stub's URL and the valid key, from variables. */
function loggedIn(extra: Record<string, string> = {}): Record<string, string> {
  return { ...isolatedHome().env, NOMALY_URL: stub.url, NOMALY_API_KEY: VALID_KEY, ...extra };
}

const JOB_ID = '6f1c2f6e-8d7a-4c55-9b0e-3a1d2c4b5e6f';
const DETECTOR_ID = '0b7c3d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';

describe('nomaly login and logout', () => {
  it('checks the key, stores it 0600 and prints who it speaks for (--json)', async () => {
    stub.route = (r) =>
      r.path === '/api/v1/auth/me'
        ? { status: 200, json: { tenantId: 'tenant-1', roles: ['admin'], kind: 'api-key' } }
        : problem(404, 'NOT_FOUND', 'Not Found', 'no');
    const home = isolatedHome();
    const r = await runCliAsync(['login', `${stub.url}/`, '--api-key-stdin', '--json'], {
      env: home.env,
      input: `${VALID_KEY}\n`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      url: stub.url,
      tenantId: 'tenant-1',
      roles: ['admin'],
      configFile: home.configFile,
    });
    expect(statSync(home.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.configFile, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(home.configFile, 'utf8'))).toEqual({
      url: stub.url,
      apiKey: VALID_KEY,
    });

    // The stored key is what later commands use, with no variables set.
    stub.route = () => ({ status: 200, json: { items: [] } });
    const listed = await runCliAsync(['datasets', 'list', '--json'], { env: home.env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ items: [] });

    const out = await runCliAsync(['logout'], { env: home.env });
    expect(out).toMatchObject({ code: 0, stdout: `Logged out: removed ${home.configFile}\n` });
    expect(existsSync(home.configFile)).toBe(false);
    const again = await runCliAsync(['logout', '--json'], { env: home.env });
    expect(JSON.parse(again.stdout)).toEqual({ configFile: home.configFile, removed: false });
    const after = await runCliAsync(['datasets', 'list'], { env: home.env });
    expect(after.code).toBe(5);
    expect(after.stderr).toMatch(/^nomaly: not logged in: run nomaly login URL/);
  });

  it('stores nothing when the key is refused: one line, exit 5', async () => {
    const home = isolatedHome();
    const r = await runCliAsync(['login', stub.url, '--api-key-stdin'], {
      env: home.env,
      input: 'nmly_wrong\n',
    });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `nomaly: the API key was refused by ${stub.url} (401 UNAUTHENTICATED: The API key is not valid.); run nomaly login\n`,
    );
    expect(existsSync(home.configFile)).toBe(false);
  });

  it('asks on a terminal without echoing the key', async () => {
    stub.route = () => ({
      status: 200,
      json: { tenantId: 't', roles: ['viewer'], kind: 'api-key' },
    });
    const home = isolatedHome();
    // `script` runs the command on a pseudo-terminal, as a user's shell would.
    const child = spawn(
      'script',
      ['-qec', `${process.execPath} ${BIN} login ${stub.url}`, '/dev/null'],
      {
        env: { PATH: process.env.PATH ?? '', ...home.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    // The key is typed only once the prompt is up (raw mode is on by then), as a person would.
    while (!output.includes('API key for')) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.stdin.write(`${VALID_KEY}\r`);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(bound);
    expect(code).toBe(0);
    expect(output).toContain(`API key for ${stub.url}: `);
    expect(output).toContain('Logged in to');
    expect(output).not.toContain(VALID_KEY);
    const stored = JSON.parse(readFileSync(home.configFile, 'utf8')) as { apiKey: string };
    expect(stored.apiKey).toBe(VALID_KEY);
  });

  it('refuses to prompt when standard input is not a terminal (exit 2)', async () => {
    const r = await runCliAsync(['login', stub.url], { env: isolatedHome().env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'standard input is not a terminal: pipe the API key with --api-key-stdin',
    );
  });
});

describe('errors and exit codes', () => {
  it('exchanges again once when a call answers 401 (an expired token), then goes on', async () => {
    stub.route = () => ({ status: 200, json: { items: [] } });
    const expired = stub.expireNextToken();
    const r = await runCliAsync(['models', 'list', '--json'], { env: loggedIn() });
    expect(r.code).toBe(0);
    const tokens = stub.calls.map((c) => c.headers.authorization);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(`Bearer ${expired}`);
    expect(tokens[1]).not.toBe(`Bearer ${expired}`);
    expect(stub.exchanges).toBe(2);
  });

  it('is an auth error when the key from NOMALY_API_KEY is refused, naming the variable', async () => {
    const r = await runCliAsync(['detectors', 'list'], {
      env: loggedIn({ NOMALY_API_KEY: 'nmly_nope' }),
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `nomaly: the API key in NOMALY_API_KEY was refused by ${stub.url} (401 UNAUTHENTICATED: The API key is not valid.); fix or unset NOMALY_API_KEY\n`,
    );
  });

  it('is an auth error when the key may not do something (403)', async () => {
    stub.route = () => problem(403, 'FORBIDDEN', 'Forbidden', 'This needs the analyst role.');
    const r = await runCliAsync(['detectors', 'create', '--name', 'x', '--algorithm', 'iforest'], {
      env: loggedIn(),
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      'the API key may not do this (403 FORBIDDEN: This needs the analyst role.)',
    );
  });

  it('prints a 404 problem naming the id and its code (exit 3)', async () => {
    stub.route = (req) =>
      problem(404, 'NOT_FOUND', 'Not Found', `No dataset with id ${req.path.split('/').pop()}.`);
    const r = await runCliAsync(['datasets', 'show', 'abc-123'], { env: loggedIn() });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'nomaly: GET /api/v1/datasets/abc-123: the API answered 404 Not Found: No dataset with id abc-123. [NOT_FOUND]\n',
    );
  });

  it('prints the start of a body that is not a problem, and Retry-After (exit 3)', async () => {
    stub.route = () => ({
      status: 503,
      text: 'upstream connect error',
      headers: { 'retry-after': '5' },
    });
    const r = await runCliAsync(['jobs', 'show', JOB_ID], { env: loggedIn() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `GET /api/v1/jobs/${JOB_ID}: the API answered 503: upstream connect error (retry after 5 s)`,
    );
  });

  it('names the URL and ECONNREFUSED when nothing listens (exit 4)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCliAsync(['datasets', 'list'], { env: loggedIn({ NOMALY_URL: url }) });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`^nomaly: cannot reach ${url} \\(POST /api/v1/auth/token\\): .*ECONNREFUSED`),
    );
  });

  it('names the timeout when the server accepts and never answers (exit 4)', async () => {
    stub.route = () => 'hang';
    const r = await runCliAsync(['datasets', 'list'], { env: loggedIn({ NOMALY_TIMEOUT: '0.5' }) });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `nomaly: ${stub.url} did not answer GET /api/v1/datasets within 0.5 s (timeout); set NOMALY_TIMEOUT (seconds) to wait longer\n`,
    );
  });

  it('exits 2 for usage errors before calling the API', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['datasets'], /datasets needs a subcommand: upload\|list\|show/],
      [['datasets', 'drop'], /unknown subcommand 'drop'/],
      [['datasets', 'show'], /datasets show takes ID, got none/],
      [['datasets', 'list', '--limit', '0'], /--limit must be an integer from 1 to 200/],
      [
        ['datasets', 'upload', '/nonexistent/file.csv'],
        /cannot read \/nonexistent\/file.csv: no such file/,
      ],
      [['detectors', 'create', '--algorithm', 'iforest'], /--name is required/],
      [
        ['detectors', 'create', '--name', 'x', '--algorithm', 'iforest', '--contamination', '2'],
        /--contamination must be a number from 0 to 0.5/,
      ],
      [['detectors', 'train', DETECTOR_ID], /--dataset DATASET_ID is required/],
      [
        ['detectors', 'train', DETECTOR_ID, '--dataset', 'd', '--timeout', '5'],
        /--timeout only applies with --wait/,
      ],
      [['models', 'promote', 'm'], /--version N is required/],
      [
        ['models', 'promote', 'm', '--version', '1', '--alias', 'prod'],
        /--alias must be one of champion, challenger/,
      ],
      [['jobs', 'watch', JOB_ID, '--timeout', 'x'], /--timeout must be an integer >= 1/],
      [['login'], /login takes URL, got none/],
      [['login', 'localhost:8080', '--api-key-stdin'], /must start with http:\/\/ or https:\/\//],
      [
        ['detect', DETECTOR_ID, 'data.csv', '--algorithm', 'iforest'],
        /--algorithm is for local detection/,
      ],
      [['detect', 'data.csv', '--batch-size', '5'], /--batch-size is for remote detection/],
      [
        ['detect', 'a', 'b', 'c'],
        /detect takes FILE.csv \(local\) or DETECTOR_ID FILE.csv \(remote\), got 3/,
      ],
      [
        ['detect', 'data.csv'],
        /--algorithm is required to detect locally .* detect DETECTOR_ID FILE.csv/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync(args, { env: loggedIn() });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(stub.requests).toEqual([]);
  });
});

describe('datasets, detectors and models', () => {
  it('streams an upload with its length, type and name, and prints the dataset', async () => {
    const dir = tempDir();
    const file = join(dir, 'sensors.ndjson');
    const content = Array.from({ length: 2_000 }, (_, i) =>
      JSON.stringify({ a: i, b: i * 2 }),
    ).join('\n');
    writeFileSync(file, content);
    let seen: StubRequest | undefined;
    stub.route = (r) => {
      seen = r;
      return {
        status: 201,
        json: {
          id: 'ds-1',
          name: 'sensors',
          version: 1,
          rows: 2_000,
          columnCount: 2,
          labelColumn: 'b',
        },
      };
    };
    const r = await runCliAsync(['datasets', 'upload', file, '--label-column', 'b'], {
      env: loggedIn(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Uploaded sensors version 1: 2,000 rows × 2 columns, label column 'b'\nid ds-1\n",
    );
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe('/api/v1/datasets');
    expect(Object.fromEntries(seen?.query ?? [])).toEqual({ name: 'sensors', labelColumn: 'b' });
    expect(seen?.headers['content-type']).toBe('application/x-ndjson');
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(content)));
    expect(seen?.body.toString('utf8')).toBe(content);
  });

  it('creates a detector with typed parameters and contamination', async () => {
    let body: unknown;
    stub.route = (r) => {
      body = r.json;
      return { status: 201, json: { id: DETECTOR_ID, name: 'f', algorithm: 'iforest' } };
    };
    const r = await runCliAsync(
      [
        'detectors',
        'create',
        '--name',
        'f',
        '-a',
        'iforest',
        '--param',
        'nEstimators=60',
        '--param',
        'contamination=auto',
        '--contamination',
        '0.05',
        '--json',
      ],
      { env: loggedIn() },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ id: DETECTOR_ID, name: 'f', algorithm: 'iforest' });
    expect(body).toEqual({
      name: 'f',
      algorithm: 'iforest',
      parameters: { nEstimators: 60, contamination: 'auto' },
      contamination: 0.05,
    });
  });

  it('lists as a table, the next cursor on standard error', async () => {
    stub.route = (r) => {
      expect(Object.fromEntries(r.query)).toEqual({ limit: '1' });
      return {
        status: 200,
        json: {
          items: [
            {
              id: 'm1',
              name: 'fraud',
              algorithm: 'iforest',
              latestVersion: 2,
              champion: 1,
              challenger: null,
              createdAt: '2025-01-02T03:04:05.000Z',
            },
          ],
          nextCursor: 'abc',
        },
      };
    };
    const r = await runCliAsync(['models', 'list', '--limit', '1'], { env: loggedIn() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'ID  NAME   ALGORITHM  LATEST  CHAMPION  CHALLENGER  CREATED\n' +
        'm1  fraud  iforest         2         1           -  2025-01-02 03:04\n',
    );
    expect(r.stderr).toBe('more: nomaly models list --cursor abc\n');
  });

  it('promotes to an alias and rolls back', async () => {
    const bodies: unknown[] = [];
    stub.route = (r) => {
      bodies.push([r.path, r.json]);
      return { status: 200, json: { id: 'm1', name: 'fraud', champion: 1, challenger: 2 } };
    };
    const promoted = await runCliAsync(
      ['models', 'promote', 'm1', '--version', '2', '--alias', 'challenger'],
      { env: loggedIn() },
    );
    expect(promoted.stdout).toBe(
      'Promoted fraud version 2 to challenger. champion: 1, challenger: 2\n',
    );
    const rolled = await runCliAsync(['models', 'rollback', 'm1', '--json'], { env: loggedIn() });
    expect(JSON.parse(rolled.stdout)).toMatchObject({ id: 'm1', champion: 1 });
    expect(bodies).toEqual([
      ['/api/v1/models/m1/promote', { version: 2, alias: 'challenger' }],
      ['/api/v1/models/m1/rollback', {}],
    ]);
  });
});

describe('jobs', () => {
  const job = (state: string, rows: number, extra: object = {}) => ({
    status: 200,
    json: {
      id: JOB_ID,
      type: 'train',
      state,
      progress: { rows, totalRows: 100 },
      attempts: 1,
      ...extra,
    },
  });

  it('watch follows a job to success (exit 0) and prints it as JSON', async () => {
    const states = [
      job('queued', 0),
      job('running', 40),
      job('succeeded', 100, { result: { rows: 100 } }),
    ];
    stub.route = () => states.shift() ?? job('succeeded', 100);
    const r = await runCliAsync(['jobs', 'watch', JOB_ID, '--json'], { env: loggedIn() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      id: JOB_ID,
      state: 'succeeded',
      progress: { rows: 100 },
    });
    expect(stub.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('watch exits 1 with the error of a failed job, and 1 for a cancelled one', async () => {
    stub.route = () =>
      job('failed', 10, { error: { code: 'DATASET_GONE', detail: 'The dataset was deleted.' } });
    const failed = await runCliAsync(['jobs', 'watch', JOB_ID], { env: loggedIn() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('state     failed');
    expect(failed.stderr).toBe(
      `nomaly: job ${JOB_ID} ended failed: DATASET_GONE: The dataset was deleted.\n`,
    );
    stub.route = () => job('cancelled', 10);
    const cancelled = await runCliAsync(['jobs', 'watch', JOB_ID, '--json'], { env: loggedIn() });
    expect(cancelled.code).toBe(1);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ state: 'cancelled' });
  });

  it('watch gives up after --timeout with exit 6; the job goes on', async () => {
    stub.route = () => job('running', 50);
    const r = await runCliAsync(['jobs', 'watch', JOB_ID, '--timeout', '1'], { env: loggedIn() });
    expect(r.code).toBe(6);
    expect(r.stderr).toBe(
      `nomaly: job ${JOB_ID} is still running after 1 s; it goes on: nomaly jobs watch ${JOB_ID}\n`,
    );
  });

  it('train --wait follows the job a large dataset becomes', async () => {
    let polls = 0;
    stub.route = (r) => {
      if (r.path.endsWith('/train')) {
        expect(r.json).toEqual({ datasetId: 'ds-1', seed: 7 });
        return { status: 202, json: { jobId: JOB_ID, ...job('queued', 0).json } };
      }
      polls++;
      return polls < 2
        ? job('running', 50)
        : job('succeeded', 100, {
            result: { modelVersion: { modelId: 'm1', version: 3 }, rows: 100, threshold: 0.61 },
          });
    };
    const r = await runCliAsync(
      ['detectors', 'train', DETECTOR_ID, '--dataset', 'ds-1', '--seed', '7', '--wait'],
      { env: loggedIn() },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('result    model m1 version 3 (100 rows, threshold 0.61)');
  });
});

describe('nomaly detect DETECTOR_ID FILE.csv', () => {
  const dir = tempDir();
  const file = join(dir, 'rows.csv');
  beforeAll(() => {
    const lines = ['b,a,label'];
    for (let i = 0; i < 25; i++) lines.push(`${i},${i * 10},${i % 7 === 0 ? 1 : 0}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  });

  /** Scores a + b; label 1 above 100: easy to check row by row. */
  const scoring = (version: (call: number) => number) => {
    let call = 0;
    return (r: StubRequest) => {
      call++;
      const records = (r.json as { records: Array<Record<string, number>> }).records;
      const scores = records.map((x) => (x.a ?? 0) + (x.b ?? 0));
      return {
        status: 200,
        json: {
          scores,
          labels: scores.map((s) => (s > 100 ? 1 : 0)),
          threshold: 100,
          modelVersion: { id: `v${version(call)}`, modelId: 'm1', version: version(call) },
          features: ['a', 'b'],
        },
      };
    };
  };

  it('sends records in batches and prints score,label in input order', async () => {
    stub.route = scoring(() => 1);
    const r = await runCliAsync(['detect', DETECTOR_ID, file, '--batch-size', '10'], {
      env: loggedIn(),
    });
    expect(r.code).toBe(0);
    const expected = Array.from({ length: 25 }, (_, i) => `${i * 11},${i * 11 > 100 ? 1 : 0}`);
    expect(r.stdout).toBe(`score,label\n${expected.join('\n')}\n`);
    expect(r.stderr).toBe("note: column 'label' is a label, not a feature\n");
    const batches = stub.calls.map((c) => (c.json as { records: unknown[] }).records);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches[0]?.[1]).toEqual({ b: 1, a: 10 });
    expect(stub.calls[0]?.path).toBe(`/api/v1/detectors/${DETECTOR_ID}/detect`);
  });

  it('prints one JSON document with --json', async () => {
    stub.route = scoring(() => 1);
    const r = await runCliAsync(['detect', DETECTOR_ID, file, '--json'], { env: loggedIn() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      detectorId: DETECTOR_ID,
      modelVersion: { id: 'v1', version: 1 },
      threshold: 100,
      features: ['a', 'b'],
      rows: 25,
      anomalies: 15,
    });
    expect(doc.scores).toHaveLength(25);
  });

  it('fails rather than mix two model versions in one output (exit 1)', async () => {
    stub.route = scoring((call) => (call === 1 ? 1 : 2));
    const r = await runCliAsync(['detect', DETECTOR_ID, file, '--batch-size', '10'], {
      env: loggedIn(),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `detector ${DETECTOR_ID} changed model during scoring (version 1 → 2, after row 10)`,
    );
  });

  it('names the line of a missing value before sending anything', async () => {
    const holes = join(dir, 'holes.csv');
    writeFileSync(holes, 'a,b\n1,2\n3,\n');
    const r = await runCliAsync(['detect', DETECTOR_ID, holes], { env: loggedIn() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("holes.csv:3: column 'b' is missing a value");
    expect(stub.requests).toEqual([]);
  });
});
