import 'reflect-metadata';
import { ConfigError } from '@nomaly/platform-core';
import { runService } from '@nomaly/platform-nest';
import { loadDetectorConfig, type DetectorConfig } from './config.js';
import { detectorServiceDefinition } from './service.js';

let config: DetectorConfig;
try {
  config = loadDetectorConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place a service writes to stderr directly.
  process.stderr.write(`detector-service: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
try {
  await runService(detectorServiceDefinition(config));
} catch (error) {
  process.stderr.write(
    `detector-service: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
