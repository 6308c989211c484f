import 'reflect-metadata';
import { ConfigError } from '@nomaly/platform-core';
import { runService } from '@nomaly/platform-nest';
import { loadModelConfig, type ModelConfig } from './config.js';
import { modelServiceDefinition } from './service.js';

let config: ModelConfig;
try {
  config = loadModelConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place a service writes to stderr directly.
  process.stderr.write(`model-service: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
try {
  await runService(modelServiceDefinition(config));
} catch (error) {
  // A dependency or the schema is not usable: say why in one line and let the orchestrator retry.
  process.stderr.write(
    `model-service: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
