import { ConfigError } from '@nomaly/platform-core';
import { loadGatewayConfig, type GatewayConfig } from './config/gateway-config.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { IstioConfigError } from './istio/load.js';

const EX_CONFIG = 78;

let config: GatewayConfig;
try {
  config = loadGatewayConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place the gateway writes to stderr directly.
  process.stderr.write(`gateway: ${error.message}\n`);
  process.exit(EX_CONFIG);
}

let gateway: RunningGateway;
try {
  gateway = await startGateway(config);
} catch (error) {
  if (error instanceof IstioConfigError) {
    process.stderr.write(`gateway: ${error.message}\n`);
    process.exit(EX_CONFIG);
  }
  process.stderr.write(
    `gateway: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

const { logger } = gateway;
process.on('SIGHUP', () => void gateway.routing.reload('SIGHUP'));

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  gateway.stop().then(
    async () => {
      logger.info('stopped');
      await flushTelemetry();
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/** Set by `@nomaly/platform-telemetry/register`: flushes buffered spans, bounded. */
async function flushTelemetry(): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[Symbol.for('nomaly.telemetry.shutdown')];
  if (typeof shutdown === 'function') await (shutdown as () => Promise<unknown>)();
}
