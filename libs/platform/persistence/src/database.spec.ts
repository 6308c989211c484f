import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  createTestDatabase,
  queryOnce,
  recordingLogger,
  type TestDatabase,
} from '../test/postgres.js';
import { WIDGET_MIGRATIONS, WidgetEntity } from '../test/widgets.js';
import { Database, type DatabaseOptions } from './database.js';

const MIGRATION_NAMES = ['CreateWidgets1700000000000', 'AddWidgetColour1700000000001'];

describe(Database.name, () => {
  let testDatabase: TestDatabase;
  const opened: Database[] = [];
  let schemas = 0;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await testDatabase.drop();
  });

  /** Options for a fresh schema (one per test) in this file's database. */
  function options(overrides: Partial<DatabaseOptions> = {}): DatabaseOptions {
    return {
      url: testDatabase.url,
      schema: `svc_${++schemas}`,
      applicationName: `nomaly-test-${randomBytes(4).toString('hex')}`,
      poolSize: 4,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 10_000,
      entities: [WidgetEntity],
      migrations: WIDGET_MIGRATIONS,
      logger: recordingLogger(),
      ...overrides,
    };
  }

  async function open(opts: DatabaseOptions = options()): Promise<Database> {
    const database = await Database.open(opts);
    opened.push(database);
    return database;
  }

  async function tablesIn(schema: string): Promise<string[]> {
    const { rows } = await queryOnce<{ table_name: string }>(
      testDatabase.url,
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    return rows.map((row) => row.table_name);
  }

  it('migrates an empty database into its own schema, migrations table included', async () => {
    const sut = await open();
    expect(sut.embedded).toBe(false);
    expect(await sut.pendingMigrations()).toEqual(MIGRATION_NAMES);
    expect(await tablesIn(sut.schema)).toEqual([]);

    expect(await sut.migrate()).toEqual(MIGRATION_NAMES);

    expect(await tablesIn(sut.schema)).toEqual(['migrations', 'widgets']);
    expect(await tablesIn('public')).toEqual([]);
    expect(await sut.pendingMigrations()).toEqual([]);
    expect(await sut.migrationStatus()).toEqual({ applied: MIGRATION_NAMES, pending: [] });

    const widgets = sut.dataSource.getRepository(WidgetEntity);
    await widgets.save({ name: 'sprocket', colour: 'blue' });
    expect(await widgets.find()).toEqual([{ id: 1, name: 'sprocket', colour: 'blue' }]);
  });

  it('treats a second migrate as a no-op', async () => {
    const sut = await open();
    await sut.migrate();
    expect(await sut.migrate()).toEqual([]);
    const recorded = await sut.dataSource.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM migrations',
    );
    expect(recorded).toEqual([{ count: 2 }]);
  });

  it('applies each migration once when two processes migrate at the same time', async () => {
    const shared = options();
    const [first, second] = await Promise.all([open(shared), open({ ...shared })]);
    if (first === undefined || second === undefined) throw new Error('two databases expected');

    const results = await Promise.all([first.migrate(), second.migrate()]);

    expect(results.flat().sort()).toEqual([...MIGRATION_NAMES].sort());
    expect(results.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, 2]);
    const recorded = await first.dataSource.query<Array<{ name: string }>>(
      'SELECT name FROM migrations ORDER BY id',
    );
    expect(recorded.map((row) => row.name)).toEqual(MIGRATION_NAMES);
  });

  it('reverts the last applied migration, one at a time', async () => {
    const sut = await open();
    await sut.migrate();

    expect(await sut.revertLast()).toBe('AddWidgetColour1700000000001');
    expect(await sut.pendingMigrations()).toEqual(['AddWidgetColour1700000000001']);
    const columns = await sut.dataSource.query<Array<{ column_name: string }>>(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'widgets' ORDER BY ordinal_position`,
      [sut.schema],
    );
    expect(columns.map((column) => column.column_name)).toEqual(['id', 'name']);

    expect(await sut.revertLast()).toBe('CreateWidgets1700000000000');
    expect(await sut.revertLast()).toBeUndefined();
    expect(await tablesIn(sut.schema)).toEqual(['migrations']);
  });

  it('sets application_name, statement_timeout and search_path on every connection', async () => {
    const opts = options({ statementTimeoutMs: 300 });
    const sut = await open(opts);
    const [settings] = await sut.dataSource.query<
      Array<{ application_name: string; statement_timeout: string; search_path: string }>
    >(
      `SELECT current_setting('application_name') AS application_name,
              current_setting('statement_timeout') AS statement_timeout,
              current_setting('search_path') AS search_path`,
    );
    expect(settings).toEqual({
      application_name: opts.applicationName,
      statement_timeout: '300ms',
      search_path: opts.schema,
    });
    await expect(sut.dataSource.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
  });

  it('answers a ping, and reports a busy pool and a closed database without throwing', async () => {
    const sut = await Database.open(options({ poolSize: 1 }));
    const ok = await sut.ping();
    expect(ok.ok).toBe(true);
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);

    const holder = sut.dataSource.createQueryRunner();
    await holder.connect();
    const busy = await sut.ping(150);
    expect(busy).toMatchObject({ ok: false, error: 'no answer within 150 ms' });
    await holder.release();

    await sut.close();
    await sut.close(); // idempotent
    expect(await sut.ping()).toEqual({ ok: false, latencyMs: 0, error: 'database is closed' });
  });

  it('survives pg_terminate_backend of all its connections and reconnects', async () => {
    const logger = recordingLogger();
    const opts = options({ poolSize: 3, logger });
    const sut = await open(opts);
    await sut.migrate();
    const crashes: unknown[] = [];
    const onCrash = (error: unknown): void => {
      crashes.push(error);
    };
    process.on('uncaughtException', onCrash);
    try {
      // Idle connections in the pool, plus one checked out in the middle of a transaction.
      await Promise.all([1, 2, 3].map(() => sut.dataSource.query('SELECT pg_sleep(0.05)')));
      const held = sut.dataSource.createQueryRunner();
      await held.connect();
      await held.startTransaction();
      await held.query('SELECT 1');

      const { rows } = await admin<{ terminated: boolean }>(
        `SELECT pg_terminate_backend(pid) AS terminated
           FROM pg_stat_activity WHERE application_name = $1`,
        [opts.applicationName],
      );
      expect(rows.length).toBe(3);
      expect(rows.every((row) => row.terminated)).toBe(true);
      await sleep(200); // let the servers' goodbyes arrive

      await expect(held.query('SELECT 1')).rejects.toThrow();
      await held.release();

      let answered = false;
      for (const deadline = Date.now() + 15_000; !answered && Date.now() < deadline;) {
        try {
          await sut.dataSource.query('SELECT 1');
          answered = true;
        } catch {
          await sleep(100);
        }
      }
      expect(answered).toBe(true);
      expect(await sut.dataSource.getRepository(WidgetEntity).count()).toBe(0);
      expect(crashes).toEqual([]);
      expect(
        logger.entries.some(
          (entry) => entry.level === 'warn' && entry.msg?.startsWith('database connection lost'),
        ),
      ).toBe(true);
    } finally {
      process.off('uncaughtException', onCrash);
    }
  });

  it('reports pool occupancy and exports active and max connections to metrics', async () => {
    let read: (() => { active: number; max: number }) | undefined;
    const sut = await open(
      options({ poolSize: 2, metrics: { collectDatabasePool: (r) => (read = r) } }),
    );
    expect(read).toBeDefined();
    expect(sut.poolStats()).toMatchObject({ active: 0, waiting: 0, max: 2 });

    const first = sut.dataSource.createQueryRunner();
    const second = sut.dataSource.createQueryRunner();
    await first.connect();
    await second.connect();
    expect(sut.poolStats()).toEqual({ total: 2, idle: 0, waiting: 0, active: 2, max: 2 });
    expect(read?.()).toEqual({ active: 2, max: 2 });

    const queued = sut.dataSource.query('SELECT 1');
    await sleep(20);
    expect(sut.poolStats().waiting).toBe(1);
    await first.release();
    await queued;
    await second.release();
    expect(sut.poolStats()).toEqual({ total: 2, idle: 2, waiting: 0, active: 0, max: 2 });
  });

  it('never logs the password of its url', async () => {
    const logger = recordingLogger();
    const url = new URL(testDatabase.url);
    url.password = 'hunter2-secret'; // trust auth ignores it
    await open(options({ url: url.toString(), logger }));
    const logged = JSON.stringify(logger.entries);
    expect(logged).toContain('127.0.0.1:5432');
    expect(logged).not.toContain('hunter2-secret');
  });

  it('rejects a schema name that is not a lower-case SQL identifier', async () => {
    await expect(Database.open(options({ schema: 'Auth; DROP' }))).rejects.toThrow(
      /Argument 'schema' passed to 'Database.open'/,
    );
  });
});
