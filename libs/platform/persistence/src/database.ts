import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  DataSource,
  MigrationExecutor,
  type EntitySchema,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { maskUrl } from './connection-url.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { guardedPgDriver } from './guarded-pg-driver.js';
import { TypeOrmLogger } from './typeorm-logger.js';
import type { DatabaseLogger, DatabasePoolMetrics } from './types.js';

/** An entity class as TypeORM takes it (decorated, or described by an `EntitySchema`). */
export type EntityClass = abstract new (...args: never[]) => object;
/** A migration class: TypeORM instantiates it without arguments. */
export type MigrationClass = new () => MigrationInterface;

export interface DatabaseOptions {
  /** `DATABASE_URL`. Undefined starts the embedded PostgreSQL (see {@link embedded}). */
  url?: string;
  /** The service's own Postgres schema (`auth`, `dataset`, …): its tables and migrations table. */
  schema: string;
  /**
   * Sent as the connection's `application_name` (e.g. `nomaly-auth-service`), so operators and
   * tests find the service's connections in `pg_stat_activity`.
   */
  applicationName: string;
  /** Most connections the pool opens. */
  poolSize: number;
  /** Bound on opening a connection and on waiting for a free one from the pool. */
  connectTimeoutMs: number;
  /** Server-side `statement_timeout` of every connection (0 disables it). */
  statementTimeoutMs: number;
  /** How long an unused connection stays open; pg's default (10 s) when omitted. */
  idleTimeoutMs?: number;
  entities: ReadonlyArray<EntityClass | EntitySchema>;
  /** Class names (or their `name` property) must end in a 13-digit timestamp, as TypeORM orders by it. */
  migrations: ReadonlyArray<MigrationClass>;
  /**
   * Where the embedded default keeps its cluster when `url` is undefined. Defaults to
   * `.nomaly/postgres/<schema>` under the working directory on port {@link DEFAULT_EMBEDDED_PORT};
   * services started side by side need distinct ports.
   */
  embedded?: { dataDir: string; port: number };
  logger: DatabaseLogger;
  /** When given, the pool's active and maximum connections are exported as gauges. */
  metrics?: DatabasePoolMetrics;
}

/** Pool occupancy; `active` connections are checked out, `waiting` callers queue for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  active: number;
  max: number;
}

export interface PingResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Migrations known to the code and to the database. */
export interface MigrationStatus {
  /** Recorded in the migrations table, oldest first (including any the code no longer has). */
  applied: string[];
  /** In the code and not yet applied, in the order `migrate()` applies them. */
  pending: string[];
}

export const DEFAULT_EMBEDDED_PORT = 54329;
export const DEFAULT_PING_TIMEOUT_MS = 2_000;
const MIGRATIONS_TABLE = 'migrations';
/** Lower-case SQL identifiers only, so the schema name never needs quoting anywhere. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A service's PostgreSQL: a TypeORM `DataSource` confined to the service's own schema, with
 * explicit migrations, a pool that survives lost connections, and the embedded server as the local
 * default.
 *
 * Every connection starts with `search_path = <schema>`, so migrations written with unqualified
 * table names create them in the schema, and the migrations table lives there too. Nothing is
 * created or migrated on open beyond the schema itself: migrations run when asked
 * (`migrate()`, or the `migrate` command built on {@link runMigrationCli}).
 */
export class Database {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly dataSource: DataSource,
    readonly schema: string,
    /** True when this process started the embedded server, which `close()` then stops. */
    readonly embedded: boolean,
    private readonly pool: () => pg.Pool | undefined,
    private readonly maxConnections: number,
    private readonly embeddedServer: EmbeddedPostgres | undefined,
    private readonly logger: DatabaseLogger,
  ) {}

  /**
   * Starts the embedded server when `url` is undefined, creates the schema if missing and
   * initialises the data source (`synchronize` and `migrationsRun` off).
   *
   * @throws Error when the schema name is not a lower-case identifier, the embedded server cannot
   *   start, or the server is unreachable within `connectTimeoutMs`.
   */
  static async open(options: DatabaseOptions): Promise<Database> {
    const { logger, schema } = options;
    if (!SCHEMA_NAME.test(schema)) {
      throw new Error(
        `Argument 'schema' passed to 'Database.open' must be a lower-case SQL identifier, got '${schema}'.`,
      );
    }
    let url: string;
    let embeddedServer: EmbeddedPostgres | undefined;
    if (options.url === undefined) {
      embeddedServer = await startEmbeddedPostgres({
        ...(options.embedded ?? {
          dataDir: resolve('.nomaly', 'postgres', schema),
          port: DEFAULT_EMBEDDED_PORT,
        }),
        logger,
      });
      url = embeddedServer.url;
    } else {
      url = options.url;
    }
    logger.info(
      { url: maskUrl(url), schema, embedded: embeddedServer !== undefined },
      'opening database',
    );

    try {
      const connection: pg.PoolConfig = {
        max: options.poolSize,
        connectionTimeoutMillis: options.connectTimeoutMs,
        ...(options.idleTimeoutMs === undefined
          ? {}
          : { idleTimeoutMillis: options.idleTimeoutMs }),
        statement_timeout: options.statementTimeoutMs,
        application_name: options.applicationName,
        options: `-c search_path=${schema}`,
      };
      await ensureSchema({ ...connection, connectionString: url }, schema);

      let pool: pg.Pool | undefined;
      const { driver, poolErrorHandler } = guardedPgDriver(
        (error) =>
          logger.warn(
            { err: error, schema },
            'database connection lost; the pool opens a new one on the next query',
          ),
        (created) => (pool = created),
      );
      const dataSource = new DataSource({
        type: 'postgres',
        url,
        schema,
        applicationName: options.applicationName,
        connectTimeoutMS: options.connectTimeoutMs,
        poolSize: options.poolSize,
        extra: connection,
        driver,
        poolErrorHandler,
        entities: [...options.entities],
        migrations: [...options.migrations],
        migrationsTableName: MIGRATIONS_TABLE,
        migrationsTransactionMode: 'all',
        migrationsRun: false,
        synchronize: false,
        // Extensions are schema changes: they belong in migrations, not in a boot-time side effect.
        // pgcrypto's name selects the built-in gen_random_uuid() for generated uuid columns.
        installExtensions: false,
        uuidExtension: 'pgcrypto',
        logger: new TypeOrmLogger(logger),
      });
      await dataSource.initialize();

      const database = new Database(
        dataSource,
        schema,
        embeddedServer !== undefined,
        () => pool,
        options.poolSize,
        embeddedServer,
        logger,
      );
      options.metrics?.collectDatabasePool(() => {
        const { active, max } = database.poolStats();
        return { active, max };
      });
      return database;
    } catch (error) {
      await embeddedServer?.stop();
      throw error;
    }
  }

  /**
   * Applies the pending migrations in one transaction and returns their names (empty when none).
   *
   * Two processes migrating at once (two replicas starting, a job and a deploy) serialise on a
   * Postgres advisory lock per schema; the second finds nothing pending. The lock connection has no
   * statement timeout: a migration may legitimately outlast the service's query bound, and the
   * waiter must outwait it.
   */
  async migrate(): Promise<string[]> {
    const applied = await this.withMigrationLock(async (runner) => {
      const executor = new MigrationExecutor(this.dataSource, runner);
      executor.transaction = 'all';
      return (await executor.executePendingMigrations()).map((migration) => migration.name);
    });
    if (applied.length > 0) {
      this.logger.info({ schema: this.schema, migrations: applied }, 'migrations applied');
    }
    return applied;
  }

  /** Reverts the most recently applied migration and returns its name, or undefined if none. */
  async revertLast(): Promise<string | undefined> {
    const reverted = await this.withMigrationLock(async (runner) => {
      const executor = new MigrationExecutor(this.dataSource, runner);
      // Executed migrations come newest first.
      const [last] = await executor.getExecutedMigrations();
      if (last === undefined) return undefined;
      await executor.undoLastMigration();
      return last.name;
    });
    if (reverted !== undefined) {
      this.logger.info({ schema: this.schema, migration: reverted }, 'migration reverted');
    }
    return reverted;
  }

  /** Names of the migrations `migrate()` would apply, in order. */
  async pendingMigrations(): Promise<string[]> {
    const pending = await new MigrationExecutor(this.dataSource).getPendingMigrations();
    return pending.map((migration) => migration.name);
  }

  /** Applied and pending migrations, for `migrate status`. */
  async migrationStatus(): Promise<MigrationStatus> {
    const executor = new MigrationExecutor(this.dataSource);
    const executed = await executor.getExecutedMigrations();
    const pending = await executor.getPendingMigrations();
    return {
      applied: executed.map((migration) => migration.name).reverse(),
      pending: pending.map((migration) => migration.name),
    };
  }

  /**
   * `SELECT 1`, bounded by `timeoutMs` (which also bounds waiting for a free connection). Never
   * throws: a closed database, a lost server or a full pool are reported as `ok: false`.
   */
  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<PingResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
    if (!this.dataSource.isInitialized) {
      return { ok: false, latencyMs: 0, error: 'database is closed' };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return { ok: true, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(), error: errorMessage(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  poolStats(): PoolStats {
    const pool = this.pool();
    const total = pool?.totalCount ?? 0;
    const idle = pool?.idleCount ?? 0;
    return {
      total,
      idle,
      waiting: pool?.waitingCount ?? 0,
      active: total - idle,
      max: this.maxConnections,
    };
  }

  /**
   * Closes the pool, then stops the embedded server if this process started it. Idempotent;
   * `ping()` reports a closed database afterwards.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (this.dataSource.isInitialized) await this.dataSource.destroy();
      } finally {
        await this.embeddedServer?.stop();
        this.logger.info({ schema: this.schema }, 'database closed');
      }
    })();
    return this.closing;
  }

  private async withMigrationLock<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const key = migrationLockKey(this.schema);
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.connect();
      await runner.query('SET statement_timeout = 0');
      await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      try {
        return await work(runner);
      } finally {
        // A lost connection has released the lock with its session already.
        await runner
          .query('SELECT pg_advisory_unlock($1::bigint)', [key])
          .catch((error: unknown) =>
            this.logger.warn({ err: error, schema: this.schema }, 'migration lock not released'),
          );
      }
    } finally {
      await runner.query('RESET statement_timeout').catch(() => undefined);
      await runner.release();
    }
  }
}

/** One advisory lock per schema: services sharing a database do not wait for each other. */
function migrationLockKey(schema: string): string {
  return createHash('sha256')
    .update(`nomaly:migrations:${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/**
 * Creates the schema if missing. Looking first keeps a role without CREATE on the database working
 * once the schema exists; a concurrent creator shows up as a unique violation, which is success.
 */
async function ensureSchema(config: pg.ClientConfig, schema: string): Promise<void> {
  const client = new pg.Client(config);
  client.on('error', () => undefined); // a lost connection surfaces through the pending query
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (found.rowCount === 0) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (code !== '23505' && code !== '42P06') throw error; // unique_violation, duplicate_schema
      });
    }
  } finally {
    await client.end();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
