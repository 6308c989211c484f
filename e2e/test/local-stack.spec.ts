/**
 * The README's first command: `nomaly up` (what `npm start` runs after building) brings the
 * whole stack up on embedded defaults — an embedded PostgreSQL, and the machine's redis-server
 * for the worker's queues (`--no-redis`: an in-process cache and no jobs) — with a demo tenant,
 * dataset and trained detector; the `curl` it prints returns scores; a batch job runs; Ctrl-C
 * leaves no process behind; a second start reuses the demo data.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@nomaly/testing';

const execFileAsync = promisify(execFile);

interface Running {
  child: ChildProcess;
  output: () => string;
  offset: number;
}

let stateDir: string;
/** Stacks still up when a test fails, stopped (Ctrl-C) in `afterAll` so nothing is left behind. */
const live = new Set<Running>();

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'nomaly-up-'));
  // Under root the embedded Postgres runs as `postgres`, which must be able to enter the dir.
  chmodSync(stateDir, 0o755);
});

afterAll(async () => {
  for (const running of live) await interrupt(running);
  rmSync(stateDir, { recursive: true, force: true });
});

/**
 * Starts `nomaly up` in a process group of its own, as a shell runs a foreground job, on ports
 * shifted by a random offset (tried again on another when one is taken).
 */
async function up(extraArgs: readonly string[] = []): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    const offset = 5_000 + Math.floor(Math.random() * 6_000);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
    };
    if (process.env.NOMALY_SHARED_DIR !== undefined) {
      env.NOMALY_SHARED_DIR = process.env.NOMALY_SHARED_DIR;
    }
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'apps/cli/bin/nomaly.js'),
        'up',
        '--state-dir',
        stateDir,
        '--port-offset',
        String(offset),
        ...extraArgs,
      ],
      { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = once(child, 'exit');
    const started = await Promise.race([
      exited.then(() => false),
      (async () => {
        while (!output.includes('Ctrl-C stops') || !output.includes('Score two rows')) {
          if (child.exitCode !== null) return false;
          await new Promise((r) => setTimeout(r, 200));
        }
        // The banner is written in one go after "Score two rows"; wait for its curl lines.
        while ((output.match(/^ {2}(TOKEN=|curl )/gm) ?? []).length < 2) {
          await new Promise((r) => setTimeout(r, 50));
        }
        return true;
      })(),
    ]);
    if (started) {
      const running = { child, output: () => output, offset };
      live.add(running);
      return running;
    }
    await exited.catch(() => undefined);
    if (output.includes('already in use') && attempt < 3) continue;
    throw new Error(`nomaly up failed:\n${output}`);
  }
}

/** What a terminal's Ctrl-C does: SIGINT to the foreground process group. */
async function interrupt(running: Running): Promise<number | null> {
  live.delete(running);
  if (running.child.exitCode !== null) return running.child.exitCode;
  const exited = once(running.child, 'exit') as Promise<[number | null]>;
  process.kill(-(running.child.pid ?? 0), 'SIGINT');
  const [code] = await exited;
  return code;
}

/** Whether something accepts connections on the loopback port. */
async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line mentions the state dir (the embedded Postgres does). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return pids;
}

describe('nomaly up (npm start)', () => {
  let firstRun: { apiKey: string; detectorId: string; datasetId: string };

  it('starts the stack on embedded defaults, and its printed curl returns scores', async () => {
    const running = await up();
    let code: number | null;
    let stackPids: number[];
    try {
      const output = running.output();
      expect(output).toContain('embedded PostgreSQL');
      expect(output).toMatch(
        /cache: \S*redis-server on 127\.0\.0\.1:\d+ \(nothing persisted\); jobs: the worker/,
      );
      expect(await listening(6390 + running.offset)).toBe(true);
      const gatewayUrl = `http://127.0.0.1:${8080 + running.offset}`;
      expect(output).toContain(`Nomaly is up at ${gatewayUrl}`);

      const local = JSON.parse(readFileSync(join(stateDir, 'local.json'), 'utf8')) as Record<
        string,
        string
      >;
      expect(Object.keys(local).sort()).toEqual([
        'apiKey',
        'datasetId',
        'detectorId',
        'gatewayUrl',
        'tenantId',
      ]);
      expect(local.gatewayUrl).toBe(gatewayUrl);
      expect(local.apiKey).toMatch(/^nmly_/);
      expect(output).toContain(local.apiKey);

      const script = (output.match(/^ {2}(TOKEN=.*|curl .*)$/gm) ?? []).map((l) => l.trim());
      expect(script).toHaveLength(2);
      const { stdout } = await execFileAsync('sh', ['-c', script.join('\n')]);
      const scored = JSON.parse(stdout) as {
        scores: number[];
        labels: number[];
        threshold: number;
      };
      expect(scored.scores).toHaveLength(2);
      expect(scored.labels).toHaveLength(2);
      for (const score of scored.scores) expect(Number.isFinite(score)).toBe(true);
      expect(Number.isFinite(scored.threshold)).toBe(true);
      // The web UI it prints, through the same gateway.
      expect(output).toContain(`${gatewayUrl}/ui`);
      const ui = await fetch(`${gatewayUrl}/ui`);
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toMatch(/^text\/html/);
      // A batch job over the demo dataset, run by the worker on the stack's redis-server.
      const token = (
        (await (
          await fetch(`${gatewayUrl}/api/v1/auth/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ apiKey: local.apiKey }),
          })
        ).json()) as { accessToken: string }
      ).accessToken;
      const submitted = await fetch(`${gatewayUrl}/api/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          type: 'detect',
          detectorId: local.detectorId,
          datasetId: local.datasetId,
        }),
      });
      expect(submitted.status).toBe(202);
      const { id: jobId } = (await submitted.json()) as { id: string };
      let job: { state: string; progress: { rows: number; totalRows: number } };
      const deadline = Date.now() + 60_000;
      do {
        await new Promise((r) => setTimeout(r, 250));
        job = (await (
          await fetch(`${gatewayUrl}/api/v1/jobs/${jobId}`, {
            headers: { Authorization: `Bearer ${token}` },
          })
        ).json()) as typeof job;
      } while (!['succeeded', 'failed', 'cancelled'].includes(job.state) && Date.now() < deadline);
      expect(job.state).toBe('succeeded');
      expect(job.progress.rows).toBe(job.progress.totalRows);
      firstRun = {
        apiKey: local.apiKey!,
        detectorId: local.detectorId!,
        datasetId: local.datasetId!,
      };

      const recorded = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as {
        processes: { name: string; pid: number }[];
      };
      expect(recorded.processes.map((p) => p.name).sort()).toEqual([
        'auth-service',
        'dataset-service',
        'detector-service',
        'gateway',
        'model-service',
        'postgres',
        'redis',
        'web',
        'worker',
      ]);
      stackPids = recorded.processes.map((p) => p.pid);
      expect(processesUsing(stateDir).length).toBeGreaterThan(0);
    } finally {
      code = await interrupt(running);
    }
    expect(code).toBe(0);
    expect(running.output()).toContain('stopped');
    expect(stackPids.filter(isAlive)).toEqual([]);
    expect(processesUsing(stateDir)).toEqual([]);
    expect(await listening(6390 + running.offset)).toBe(false);
    expect(existsSync(join(stateDir, 'stack.json'))).toBe(false);
  }, 300_000);

  it('reuses the demo tenant, dataset and detector on the next start; --no-redis runs no jobs', async () => {
    const running = await up(['--no-redis']);
    try {
      expect(running.output()).toContain('cache: in-process (REDIS_URL unset); jobs: off');
      const local = JSON.parse(readFileSync(join(stateDir, 'local.json'), 'utf8')) as Record<
        string,
        string
      >;
      expect(local).toMatchObject(firstRun);
      expect(running.output()).not.toContain('uploaded the demo dataset');
      expect(running.output()).not.toContain('trained the demo isolation forest');
    } finally {
      expect(await interrupt(running)).toBe(0);
    }
    expect(processesUsing(stateDir)).toEqual([]);
  }, 300_000);
});
