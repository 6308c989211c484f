import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createLogger } from '@nomaly/platform-core';
import { runServiceCli } from '@nomaly/platform-persistence';
import pino from 'pino';
import { bootstrapAdmin } from './admin/bootstrap-admin.js';
import { loadAuthConfig, type AuthConfig } from './config.js';
import { AUTH_ENTITIES, AUTH_MIGRATIONS, AUTH_SCHEMA } from './persistence/index.js';
import { SigningKeyService } from './signing-keys/signing-key.service.js';

runServiceCli<AuthConfig>({
  service: 'auth-service',
  loadConfig: () => loadAuthConfig(),
  database: { schema: AUTH_SCHEMA, entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS },
  commands: {
    'create-admin': {
      usage:
        'create-admin --tenant NAME [--email EMAIL] [--password PASSWORD] [--key-name NAME] [--json]\n' +
        '                           create the tenant (if new), an admin user (if an e-mail is given)\n' +
        '                           and an admin API key, printed once',
      async run(args, { config, openDatabase }) {
        const { values } = parseArgs({
          args: [...args],
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
          process.stderr.write('create-admin: --tenant is required\n');
          return 2;
        }
        const database = await openDatabase();
        try {
          await database.migrate();
          const result = await bootstrapAdmin(database, {
            tenant: values.tenant,
            ...(values.email === undefined ? {} : { email: values.email }),
            ...(values.password === undefined ? {} : { password: values.password }),
            ...(values['key-name'] === undefined ? {} : { keyName: values['key-name'] }),
          });
          process.stdout.write(
            values.json
              ? `${JSON.stringify(result)}\n`
              : [
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
          return 0;
        } finally {
          await database.close();
        }
      },
    },
    keys: {
      usage:
        'keys rotate              make a new token signing key (the old one stays published\n' +
        '                           until its tokens expire)',
      async run(args, { config, openDatabase }) {
        if (args[0] !== 'rotate' || args.length !== 1) {
          process.stderr.write('keys: expected "keys rotate"\n');
          return 2;
        }
        const database = await openDatabase();
        try {
          await database.migrate();
          const logger = createLogger({
            service: config.SERVICE_NAME,
            level: 'warn',
            destination: pino.destination(2),
          });
          process.stdout.write(
            `${await new SigningKeyService(database, config, logger).rotate()}\n`,
          );
          return 0;
        } finally {
          await database.close();
        }
      },
    },
  },
});
