import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, recordingLogger, type TestDatabase } from '../test/postgres.js';
import { WIDGET_MIGRATIONS, WidgetEntity } from '../test/widgets.js';
import { Database } from './database.js';
import { MIGRATION_CLI_USAGE, runMigrationCli, type MigrationCliOutput } from './migration-cli.js';

describe(runMigrationCli.name, () => {
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });

  afterAll(async () => {
    await testDatabase.drop();
  });

  /** Runs the command against the `cli` schema and returns its exit code and output. */
  async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMigrationCli(
      argv,
      () =>
        Database.open({
          url: testDatabase.url,
          schema: 'cli',
          applicationName: 'nomaly-test-migrate',
          poolSize: 2,
          connectTimeoutMs: 5_000,
          statementTimeoutMs: 10_000,
          entities: [WidgetEntity],
          migrations: WIDGET_MIGRATIONS,
          logger: recordingLogger(),
        }),
      { out: (line) => out.push(line), err: (line) => err.push(line) },
    );
    return { code, out, err };
  }

  it('lists, applies and reverts migrations', async () => {
    expect(await run('status')).toEqual({
      code: 0,
      out: [
        '[ ] CreateWidgets1700000000000',
        '[ ] AddWidgetColour1700000000001',
        'schema cli: 0 applied, 2 pending',
      ],
      err: [],
    });
    expect(await run('up')).toEqual({
      code: 0,
      out: ['applied CreateWidgets1700000000000', 'applied AddWidgetColour1700000000001'],
      err: [],
    });
    expect((await run('up')).out).toEqual(['schema cli: no pending migrations']);
    expect(await run('down')).toEqual({
      code: 0,
      out: ['reverted AddWidgetColour1700000000001'],
      err: [],
    });
    expect((await run('status')).out).toEqual([
      '[x] CreateWidgets1700000000000',
      '[ ] AddWidgetColour1700000000001',
      'schema cli: 1 applied, 1 pending',
    ]);
  });

  it('answers a usage error with exit code 2 without opening the database', async () => {
    let opened = false;
    const open = (): Promise<Database> => {
      opened = true;
      return Promise.reject(new Error('must not open'));
    };
    const lines: string[] = [];
    const sink: MigrationCliOutput = { out: (l) => lines.push(l), err: (l) => lines.push(l) };

    expect(await runMigrationCli([], open, sink)).toBe(2);
    expect(await runMigrationCli(['sideways'], open, sink)).toBe(2);
    expect(await runMigrationCli(['up', 'now'], open, sink)).toBe(2);
    expect(opened).toBe(false);
    expect(lines).toEqual([
      'missing command',
      MIGRATION_CLI_USAGE,
      "unknown command 'sideways'",
      MIGRATION_CLI_USAGE,
      "unexpected arguments after 'up': now",
      MIGRATION_CLI_USAGE,
    ]);
  });

  it('prints the usage on --help and exits 0', async () => {
    const lines: string[] = [];
    const sink: MigrationCliOutput = { out: (l) => lines.push(l), err: () => undefined };
    expect(await runMigrationCli(['--help'], () => Promise.reject(new Error('no')), sink)).toBe(0);
    expect(lines).toEqual([MIGRATION_CLI_USAGE]);
  });

  it('exits 1 and says why when the database cannot be opened', async () => {
    const lines: string[] = [];
    const sink: MigrationCliOutput = { out: () => undefined, err: (l) => lines.push(l) };
    const code = await runMigrationCli(
      ['up'],
      () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      sink,
    );
    expect(code).toBe(1);
    expect(lines).toEqual(['migrate up failed: connect ECONNREFUSED 127.0.0.1:1']);
  });
});
