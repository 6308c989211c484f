export {
  Database,
  DEFAULT_EMBEDDED_PORT,
  DEFAULT_PING_TIMEOUT_MS,
  type DatabaseOptions,
  type EntityClass,
  type MigrationClass,
  type MigrationStatus,
  type PingResult,
  type PoolStats,
} from './database.js';
export {
  startEmbeddedPostgres,
  EMBEDDED_DATABASE,
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from './embedded-postgres.js';
export { runMigrationCli, MIGRATION_CLI_USAGE, type MigrationCliOutput } from './migration-cli.js';
export { maskUrl } from './connection-url.js';
export type { DatabaseLogger, DatabasePoolMetrics } from './types.js';
export { fetchPage, fetchRawPage, type PageableRow, type RawPageQuery } from './pagination.js';
export {
  databaseOptions,
  runServiceCli,
  type ServiceCommand,
  type ServiceSchema,
} from './service-database.js';
