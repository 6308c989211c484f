import { ConfigError } from '@nomaly/platform-core';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { startEdgeAgent, type RunningEdgeAgent } from './edge-agent.js';

const EX_CONFIG = 78;

let config: EdgeConfig;
try {
  config = loadEdgeConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place the agent writes to stderr directly.
  process.stderr.write(`edge-agent: ${error.message}\n`);
  process.exit(EX_CONFIG);
}

let agent: RunningEdgeAgent;
try {
  agent = await startEdgeAgent(config);
} catch (error) {
  process.stderr.write(
    `edge-agent: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  agent.logger.info({ signal }, 'shutting down: finishing detects and the upload in hand');
  const deadline = setTimeout(() => {
    agent.logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  agent.stop().then(
    async () => {
      agent.logger.info('stopped');
      await flushTelemetry();
      process.exit(0);
    },
    (error: unknown) => {
      agent.logger.error({ err: error }, 'shutdown failed');
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
