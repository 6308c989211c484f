import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, effectiveLogLevel, ServiceError } from '@nomaly/platform-core';
import { Database, runMigrationCli } from '@nomaly/platform-persistence';
import pino from 'pino';
import { bootstrapAdmin } from './admin/bootstrap-admin.js';
import { loadAuthConfig, type AuthConfig } from './config.js';
import { AUTH_ENTITIES, AUTH_MIGRATIONS, AUTH_SCHEMA } from './persistence/index.js';
import { SigningKeyService } from './signing-keys/signing-key.service.js';

const USAGE = `Usage: auth-service <command>

  migrate up|down|status            apply, revert the last, or list migrations of the auth schema
  create-admin --tenant NAME [--email EMAIL] [--password PASSWORD] [--key-name NAME] [--json]
                                    create the tenant (if new), an admin user (if an e-mail is
                                    given) and an admin API key, printed once
  keys rotate                       make a new token signing key (the old one stays published
                                    until its tokens expire)

Configuration comes from the environment, as for the service (DATABASE_URL, …).
Exit codes: 0 success, 1 failure, 2 usage error, 78 configuration error.`;

async function openDatabase(config: AuthConfig): Promise<Database> {
  // Logs go to stderr so stdout carries only the command's result.
  const logger = createLogger({
    service: config.SERVICE_NAME,
    level: effectiveLogLevel(config),
    destination: pino.destination(2),
  });
  return Database.open({
    ...(config.DATABASE_URL === undefined ? {} : { url: config.DATABASE_URL }),
    schema: AUTH_SCHEMA,
    applicationName: `nomaly-${config.SERVICE_NAME}-cli`,
    poolSize: 2,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    entities: AUTH_ENTITIES,
    migrations: AUTH_MIGRATIONS,
    embedded: { dataDir: config.EMBEDDED_POSTGRES_DIR, port: config.EMBEDDED_POSTGRES_PORT },
    logger,
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  let config: AuthConfig;
  try {
    config = loadAuthConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    throw error;
  }

  switch (command) {
    case 'migrate':
      return runMigrationCli(rest, () => openDatabase(config));
    case 'create-admin': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          tenant: { type: 'string' },
          email: { type: 'string' },
          password: { type: 'string' },
          'key-name': { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        strict: true,
      });
      if (values.tenant === undefined) {
        process.stderr.write(`create-admin: --tenant is required\n\n${USAGE}\n`);
        return 2;
      }
      const database = await openDatabase(config);
      try {
        await database.migrate();
        const result = await bootstrapAdmin(database, {
          tenant: values.tenant,
          ...(values.email === undefined ? {} : { email: values.email }),
          ...(values.password === undefined ? {} : { password: values.password }),
          ...(values['key-name'] === undefined ? {} : { keyName: values['key-name'] }),
        });
        if (values.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } else {
          process.stdout.write(
            [
              `tenant   ${values.tenant} (${result.tenantId})${result.tenantCreated ? ' created' : ''}`,
              ...(result.userId === undefined
                ? []
                : [`admin    ${values.email ?? ''} (${result.userId})`]),
              ...(result.generatedPassword === undefined
                ? []
                : [`password ${result.generatedPassword}   (shown once)`]),
              `api key  ${result.apiKey}   (shown once; store it now)`,
              '',
              'Get a token:',
              `  curl -s -X POST http://localhost:${config.PORT}/api/v1/auth/token -H 'Content-Type: application/json' -d '{"apiKey":"${result.apiKey}"}'`,
              '',
            ].join('\n'),
          );
        }
        return 0;
      } finally {
        await database.close();
      }
    }
    case 'keys': {
      if (rest[0] !== 'rotate' || rest.length !== 1) {
        process.stderr.write(`keys: expected "keys rotate"\n\n${USAGE}\n`);
        return 2;
      }
      const database = await openDatabase(config);
      try {
        await database.migrate();
        const logger = createLogger({
          service: config.SERVICE_NAME,
          level: 'warn',
          destination: pino.destination(2),
        });
        const kid = await new SigningKeyService(database, config, logger).rotate();
        process.stdout.write(`${kid}\n`);
        return 0;
      } finally {
        await database.close();
      }
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ServiceError || (error instanceof TypeError && 'code' in error)) {
      process.stderr.write(`auth-service: ${error.message}\n`);
      process.exit(error instanceof ServiceError ? 1 : 2);
    }
    process.stderr.write(`auth-service: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
