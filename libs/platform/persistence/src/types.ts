/**
 * The logging surface this library needs. It is the structural subset of `@nomaly/platform-core`'s
 * pino `Logger`, so a service passes its own logger; keeping it structural lets persistence build
 * and test without a logger implementation.
 */
export interface DatabaseLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the pool exports to metrics: the subset of platform-core's `PlatformMetrics` used here. */
export interface DatabasePoolMetrics {
  /** Registers a reader sampled at scrape time for `nomaly_database_connections_{active,max}`. */
  collectDatabasePool(read: () => { active: number; max: number }): void;
}
