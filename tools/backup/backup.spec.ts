import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, REPO_ROOT, sql, type TestDatabase } from '@nomaly/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The stderr of a command that must fail. */
async function failure(command: Promise<unknown>): Promise<string> {
  try {
    await command;
  } catch (error) {
    return String((error as { stderr?: unknown }).stderr);
  }
  throw new Error('the command succeeded; it should have failed');
}
const BACKUP = join(REPO_ROOT, 'tools/backup/backup-postgres.sh');
const RESTORE = join(REPO_ROOT, 'tools/backup/restore-postgres.sh');

describe('tools/backup: pg_dump with retention, verified restore', () => {
  let database: TestDatabase;
  let dir: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'nomaly-backup-'));
    await sql(database.url, 'CREATE SCHEMA model');
    await sql(
      database.url,
      'CREATE TABLE model.versions (id int PRIMARY KEY, tenant_id text NOT NULL, sha256 text)',
    );
    await sql(database.url, "INSERT INTO model.versions VALUES (1, 't1', 'abc'), (2, 't1', 'def')");
  });

  afterEach(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const backup = (env: Record<string, string> = {}) =>
    run('bash', [BACKUP], {
      env: { ...process.env, DATABASE_URL: database.url, BACKUP_DIR: dir, ...env },
    });

  it('dumps, and restores the dump over later changes', async () => {
    await backup();
    const dumps = (await readdir(dir)).filter((name) => name.endsWith('.dump'));
    expect(dumps).toHaveLength(1);
    expect(dumps[0]).toMatch(/^nomaly-\d{8}T\d{6}Z\.dump$/);

    await sql(database.url, 'DELETE FROM model.versions WHERE id = 2');
    await sql(database.url, "INSERT INTO model.versions VALUES (3, 't2', 'ghi')");
    await run('bash', [RESTORE, join(dir, dumps[0] as string)], {
      env: { ...process.env, DATABASE_URL: database.url },
    });
    const rows = await sql<{ id: number }>(
      database.url,
      'SELECT id FROM model.versions ORDER BY id',
    );
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
  });

  it('deletes its own dumps older than RETENTION_DAYS and nothing else', async () => {
    const old = join(dir, 'nomaly-20200101T000000Z.dump');
    const recent = join(dir, 'nomaly-20990101T000000Z.dump');
    const foreign = join(dir, 'other-20200101T000000Z.dump');
    for (const file of [old, `${old}.sha256`, recent, foreign]) await writeFile(file, 'x');
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    for (const file of [old, `${old}.sha256`, foreign]) await utimes(file, tenDaysAgo, tenDaysAgo);

    await backup({ RETENTION_DAYS: '7' });
    const left = await readdir(dir);
    expect(left).not.toContain('nomaly-20200101T000000Z.dump');
    expect(left).not.toContain('nomaly-20200101T000000Z.dump.sha256');
    expect(left).toContain('nomaly-20990101T000000Z.dump');
    expect(left).toContain('other-20200101T000000Z.dump');
    expect(left.filter((name) => name.endsWith('.dump'))).toHaveLength(3);
  });

  it('keeps old backups when the dump fails, and leaves no partial file', async () => {
    const old = join(dir, 'nomaly-20200101T000000Z.dump');
    await writeFile(old, 'x');
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await utimes(old, tenDaysAgo, tenDaysAgo);
    const missing = new URL(database.url);
    missing.pathname = '/nomaly_no_such_database';
    const stderr = await failure(
      run('bash', [BACKUP], {
        env: { ...process.env, DATABASE_URL: missing.toString(), BACKUP_DIR: dir },
      }),
    );
    expect(stderr).toContain('nomaly_no_such_database');
    expect(await readdir(dir)).toEqual(['nomaly-20200101T000000Z.dump']);
  });

  it('refuses a dump whose checksum does not match, and changes nothing', async () => {
    await backup();
    const dump = join(dir, (await readdir(dir)).find((name) => name.endsWith('.dump')) as string);
    await sql(database.url, "INSERT INTO model.versions VALUES (3, 't2', 'ghi')");
    const bytes = await readFile(dump);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(dump, bytes);
    const stderr = await failure(
      run('bash', [RESTORE, dump], { env: { ...process.env, DATABASE_URL: database.url } }),
    );
    expect(stderr).toMatch(/did NOT match/);
    const rows = await sql<{ id: number }>(
      database.url,
      'SELECT id FROM model.versions ORDER BY id',
    );
    expect(rows.map((row) => row.id)).toEqual([1, 2, 3]);
  });

  it('rejects a bad RETENTION_DAYS before dumping anything', async () => {
    expect(await failure(backup({ RETENTION_DAYS: '0' }))).toContain('RETENTION_DAYS');
    expect(await readdir(dir)).toEqual([]);
  });
});
