import { createLogger, effectiveLogLevel, ConfigError, ServiceError } from '@nomaly/platform-core';
import type { PlatformConfig } from '@nomaly/platform-core';
import pino from 'pino';
import { Database, type DatabaseOptions } from './database.js';
import { runMigrationCli } from './migration-cli.js';

/** A service's schema: what its data source and its migration command work on. */
export interface ServiceSchema {
  readonly schema: string;
  readonly entities: DatabaseOptions['entities'];
  readonly migrations: DatabaseOptions['migrations'];
}

/** The data source options a service's configuration gives (`DATABASE_URL`, pool, timeouts, …). */
export function databaseOptions(
  config: PlatformConfig,
  definition: ServiceSchema,
  rest: Pick<DatabaseOptions, 'logger'> & Partial<DatabaseOptions>,
): DatabaseOptions {
  return {
    ...(config.DATABASE_URL === undefined ? {} : { url: config.DATABASE_URL }),
    schema: definition.schema,
    applicationName: `nomaly-${config.SERVICE_NAME}`,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    entities: definition.entities,
    migrations: definition.migrations,
    embedded: { dataDir: config.EMBEDDED_POSTGRES_DIR, port: config.EMBEDDED_POSTGRES_PORT },
    ...rest,
  };
}

/** A command of a service's admin command line beyond `migrate`. */
export interface ServiceCommand<Config extends PlatformConfig> {
  /** One or more usage lines, e.g. `keys rotate   make a new token signing key`. */
  readonly usage: string;
  run(
    args: readonly string[],
    context: { config: Config; openDatabase: () => Promise<Database> },
  ): Promise<number>;
}

/**
 * A service's admin command line (`node dist/cli.js …`): `migrate up|down|status` for its schema,
 * plus its own commands. Configuration comes from the environment as for the service; logs go
 * to stderr so stdout carries only results. Exit codes: 0 success, 1 failure, 2 usage error,
 * 78 configuration error. Never returns: it exits the process.
 */
export function runServiceCli<Config extends PlatformConfig>(options: {
  readonly service: string;
  readonly loadConfig: () => Config;
  readonly database: ServiceSchema;
  readonly commands?: Readonly<Record<string, ServiceCommand<Config>>>;
}): void {
  const commands = options.commands ?? {};
  const usage = [
    `Usage: ${options.service} <command>`,
    '',
    `  migrate up|down|status   apply, revert the last, or list migrations of the ${options.database.schema} schema`,
    ...Object.values(commands).map((command) => `  ${command.usage}`),
    '',
    'Configuration comes from the environment, as for the service (DATABASE_URL, …).',
    'Exit codes: 0 success, 1 failure, 2 usage error, 78 configuration error.',
  ].join('\n');

  const main = async (argv: readonly string[]): Promise<number> => {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h') {
      process.stdout.write(`${usage}\n`);
      return name === undefined ? 2 : 0;
    }
    const command = name === 'migrate' ? undefined : commands[name];
    if (name !== 'migrate' && command === undefined) {
      process.stderr.write(`unknown command "${name}"\n\n${usage}\n`);
      return 2;
    }
    let config: Config;
    try {
      config = options.loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        return 78;
      }
      throw error;
    }
    const openDatabase = () =>
      Database.open(
        databaseOptions(config, options.database, {
          applicationName: `nomaly-${config.SERVICE_NAME}-cli`,
          poolSize: 2,
          logger: createLogger({
            service: config.SERVICE_NAME,
            level: effectiveLogLevel(config),
            destination: pino.destination(2),
          }),
        }),
      );
    if (command === undefined) return runMigrationCli(rest, openDatabase);
    return command.run(rest, { config, openDatabase });
  };

  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // parseArgs reports bad options as a TypeError with a code: a usage error, not a crash.
      const usageError = error instanceof TypeError && 'code' in error;
      const message =
        error instanceof ServiceError || usageError
          ? error.message
          : error instanceof Error
            ? error.stack
            : String(error);
      process.stderr.write(`${options.service}: ${message}\n`);
      process.exit(usageError ? 2 : 1);
    },
  );
}
