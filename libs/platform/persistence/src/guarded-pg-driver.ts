import pg from 'pg';

/**
 * The `pg` module as TypeORM's Postgres driver sees it (`options.driver`): it only reads `Pool` and
 * `defaults`, so a module object with a subclassed `Pool` is a complete replacement.
 */
export interface PgDriverModule {
  Pool: typeof pg.Pool;
  defaults: typeof pg.defaults;
  types: typeof pg.types;
}

/**
 * Builds a `pg` module whose pools can never crash the process on a lost connection, and reports
 * each pool it creates.
 *
 * Why: a `pg` client that loses its server (Postgres restart, failover, `pg_terminate_backend`)
 * emits `error`. pg-pool listens only while the client is idle in the pool; a client checked out
 * (a transaction between two statements, a LISTEN connection) has no listener, and an `error`
 * event without a listener is thrown from the socket callback as an uncaught exception. Every
 * client therefore gets its own listener from the moment the pool creates it, and the pool gets one
 * too; the broken client is discarded and the next query opens a new connection.
 *
 * @param onConnectionError called once per lost connection, whichever listener saw it first
 * @param onPool called with every pool the driver constructs (TypeORM makes one per data source
 *   without replication)
 */
export function guardedPgDriver(
  onConnectionError: (error: Error) => void,
  onPool: (pool: pg.Pool) => void,
): { driver: PgDriverModule; poolErrorHandler: (error: unknown) => void } {
  // A lost connection can emit twice (the server's FATAL message, then the closed socket), and an
  // idle client's error reaches both its own listener and the pool's: report each connection once.
  const reported = new WeakSet<object>();
  const report = (error: unknown, client: object): void => {
    if (reported.has(client)) return;
    reported.add(client);
    onConnectionError(error instanceof Error ? error : new Error(String(error)));
  };

  class GuardedPool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super(config);
      this.on('error', (error, client) => report(error, client));
      this.on('connect', (client: pg.PoolClient) => {
        client.on('error', (error) => report(error, client));
      });
      onPool(this);
    }
  }

  return {
    driver: { Pool: GuardedPool, defaults: pg.defaults, types: pg.types },
    // TypeORM installs this on the pool as well; the pool's own listener above already reports.
    poolErrorHandler: () => undefined,
  };
}
