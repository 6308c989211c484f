import 'reflect-metadata';
import { ConfigError } from '@nomaly/platform-core';
import { runService } from '@nomaly/platform-nest';
import { loadAuthConfig, type AuthConfig } from './config.js';
import { authServiceDefinition } from './service.js';

let config: AuthConfig;
try {
  config = loadAuthConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place a service writes to stderr directly.
  process.stderr.write(`auth-service: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
await runService(authServiceDefinition(config));
