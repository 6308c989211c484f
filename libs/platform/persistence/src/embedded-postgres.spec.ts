import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOnce, recordingLogger } from '../test/postgres.js';
import { WIDGET_MIGRATIONS, WidgetEntity } from '../test/widgets.js';
import { Database, type DatabaseOptions } from './database.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = await listen(0);
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe(startEmbeddedPostgres.name, () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nomaly-embedded-'));
    // Under root the server runs as the postgres user, which must be able to enter the dir.
    await chmod(dir, 0o755);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is the default without a url: data persists across a stop and a restart', async () => {
    const logger = recordingLogger();
    const options: DatabaseOptions = {
      schema: 'embedded_svc',
      applicationName: 'nomaly-test-embedded',
      poolSize: 2,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 10_000,
      entities: [WidgetEntity],
      migrations: WIDGET_MIGRATIONS,
      embedded: { dataDir: join(dir, 'cluster'), port: await freePort() },
      logger,
    };

    const first = await Database.open(options);
    expect(first.embedded).toBe(true);
    expect(await first.migrate()).toHaveLength(2);
    await first.dataSource.getRepository(WidgetEntity).save({ name: 'kept', colour: null });
    const [where] = await first.dataSource.query<Array<{ db: string; schema: string }>>(
      'SELECT current_database() AS db, current_schema() AS schema',
    );
    expect(where).toEqual({ db: 'nomaly', schema: 'embedded_svc' });
    await first.close();
    await expect(
      queryOnce(`postgres://postgres@127.0.0.1:${options.embedded?.port}/nomaly`, 'SELECT 1'),
    ).rejects.toThrow(/ECONNREFUSED/);

    const second = await Database.open(options);
    try {
      expect(await second.pendingMigrations()).toEqual([]);
      expect(await second.dataSource.getRepository(WidgetEntity).find()).toEqual([
        { id: 1, name: 'kept', colour: null },
      ]);
    } finally {
      await second.close();
    }
    const initialised = logger.entries.filter((entry) =>
      entry.msg?.startsWith('initialising a new embedded PostgreSQL cluster'),
    );
    expect(initialised).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).toContain('postgres://postgres:***@127.0.0.1');
  });

  it('serves the nomaly database behind a password, and stops once however often asked', async () => {
    const port = await freePort();
    const sut = await startEmbeddedPostgres({
      dataDir: join(dir, 'direct'),
      port,
      logger: recordingLogger(),
    });
    try {
      expect(sut.url).toMatch(
        new RegExp(`^postgres://postgres:[\\w-]+@127\\.0\\.0\\.1:${port}/nomaly$`),
      );
      const { rows } = await queryOnce<{ db: string }>(sut.url, 'SELECT current_database() AS db');
      expect(rows).toEqual([{ db: 'nomaly' }]);
      await expect(
        queryOnce(`postgres://postgres:wrong@127.0.0.1:${port}/nomaly`, 'SELECT 1'),
      ).rejects.toThrow(/password authentication failed/);

      // A second process on the same data dir shares the running server and leaves it running.
      const shared = await startEmbeddedPostgres({
        dataDir: join(dir, 'direct'),
        port,
        logger: recordingLogger(),
      });
      expect(shared.url).toBe(sut.url);
      await shared.stop();
      const after = await queryOnce<{ one: number }>(sut.url, 'SELECT 1 AS one');
      expect(after.rows).toEqual([{ one: 1 }]);
    } finally {
      await Promise.all([sut.stop(), sut.stop()]);
    }
  });

  it('says so clearly when the port is taken by something else', async () => {
    const squatter = await listen(0);
    const { port } = squatter.address() as AddressInfo;
    try {
      await expect(
        startEmbeddedPostgres({ dataDir: join(dir, 'squatted'), port, logger: recordingLogger() }),
      ).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use by another process`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it.runIf(process.getuid?.() === 0)(
    'explains, under root, that the postgres user cannot reach a private directory',
    async () => {
      const privateDir = await mkdtemp(join(tmpdir(), 'nomaly-private-'));
      try {
        await expect(
          startEmbeddedPostgres({
            dataDir: join(privateDir, 'cluster'),
            port: await freePort(),
            logger: recordingLogger(),
          }),
        ).rejects.toThrow(
          /the 'postgres' user, which cannot enter .*nomaly-private-.* \(mode 700\)/,
        );
      } finally {
        await rm(privateDir, { recursive: true, force: true });
      }
    },
  );
});
