/**
 * `node --import @nomaly/platform-telemetry/register apps/web/dist/main.js`: serves the built
 * web UI on PORT (8004). Exit codes: 78 for configuration (a bad variable, the UI not built),
 * 1 when it cannot listen.
 */
import { once } from 'node:events';
import {
  ConfigError,
  createLogger,
  effectiveLogLevel,
  PlatformMetrics,
} from '@nomaly/platform-core';
import { loadWebConfig, type WebConfig } from './config.js';
import { createWebServer } from './server.js';
import { loadStaticAssets, StaticAssetsError } from './static-files.js';

const EX_CONFIG = 78;

let config: WebConfig;
let assets: ReturnType<typeof loadStaticAssets>;
try {
  config = loadWebConfig();
  assets = loadStaticAssets(config.WEB_ASSETS_DIR);
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof StaticAssetsError)) throw error;
  // Before the logger exists: the one place the server writes to stderr directly.
  process.stderr.write(`web: ${error.message}\n`);
  process.exit(EX_CONFIG);
}

const logger = createLogger({ service: config.SERVICE_NAME, level: effectiveLogLevel(config) });
const metrics = new PlatformMetrics(config.SERVICE_NAME);
const web = createWebServer({ assets, logger, metrics });
try {
  web.server.listen(config.PORT, config.HOST);
  await once(web.server, 'listening');
} catch (error) {
  process.stderr.write(
    `web: cannot listen on ${config.HOST}:${config.PORT}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
logger.info(
  { host: config.HOST, port: config.PORT, files: assets.size, environment: config.ENVIRONMENT },
  `web UI served at http://${config.HOST}:${config.PORT}/ui/`,
);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  web.drain();
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  web.server.close(() => {
    logger.info('stopped');
    void flushTelemetry().finally(() => process.exit(0));
  });
  // Idle keep-alive connections would hold close() open until they time out.
  web.server.closeIdleConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/** Set by `@nomaly/platform-telemetry/register`: flushes buffered spans, bounded. */
async function flushTelemetry(): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[Symbol.for('nomaly.telemetry.shutdown')];
  if (typeof shutdown === 'function') await (shutdown as () => Promise<unknown>)();
}
