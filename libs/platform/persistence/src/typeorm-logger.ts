import type { Logger as TypeOrmLoggerContract } from 'typeorm';
import type { DatabaseLogger } from './types.js';

/**
 * Routes TypeORM's log calls into the service's structured logger.
 *
 * Statements are not logged (they would flood the log and may carry tenant data); failed
 * statements go to debug because the error also reaches the caller, who decides whether it matters.
 * Slow statements, migrations and schema work are what an operator wants to see.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  constructor(private readonly logger: DatabaseLogger) {}

  logQuery(): void {
    // Deliberately silent: see the class comment.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ err: error, query: truncate(query) }, 'database statement failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ durationMs: time, query: truncate(query) }, 'slow database statement');
  }

  logSchemaBuild(message: string): void {
    this.logger.info({ typeorm: 'schema' }, message);
  }

  logMigration(message: string): void {
    this.logger.info({ typeorm: 'migration' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.logger.warn({ typeorm: 'driver' }, text);
    else this.logger.debug({ typeorm: 'driver' }, text);
  }
}

/** Keeps a huge generated statement (a bulk insert) from becoming a huge log line. */
function truncate(query: string, max = 2_000): string {
  return query.length <= max ? query : `${query.slice(0, max)}… (${query.length} chars)`;
}
