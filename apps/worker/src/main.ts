import { ConfigError } from '@nomaly/platform-core';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { startWorker } from './worker-app.js';

/** Set by `@nomaly/platform-telemetry/register`: flushes buffered spans, bounded. */
const TELEMETRY_SHUTDOWN = Symbol.for('nomaly.telemetry.shutdown');

let config: WorkerConfig;
try {
  config = loadWorkerConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Before the logger exists: the one place the worker writes to stderr directly.
  process.stderr.write(`worker: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}

let worker: Awaited<ReturnType<typeof startWorker>>;
try {
  worker = await startWorker(config);
} catch (error) {
  process.stderr.write(
    `worker: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

/**
 * SIGTERM or SIGINT: the runs finish the chunks in hand and hand their jobs back, then the
 * process exits 0 — or 1 if that takes longer than SHUTDOWN_TIMEOUT_MS.
 */
const shutdown = (signal: NodeJS.Signals): void => {
  worker.logger.info({ signal }, 'shutting down: finishing the chunks in hand');
  const deadline = setTimeout(() => {
    worker.logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  void worker.stop().then(async () => {
    const flush = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN];
    if (typeof flush === 'function') await (flush as () => Promise<unknown>)();
    process.exit(0);
  });
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
