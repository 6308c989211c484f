import { join } from 'node:path';
import { CentralClient } from '@nomaly/edge-runtime';
import { createLogger, effectiveLogLevel, maskConfig, type Logger } from '@nomaly/platform-core';
import type { FastifyInstance } from 'fastify';
import { DeadLetters } from './buffer/dead-letters.js';
import { ResultBuffer } from './buffer/result-buffer.js';
import type { EdgeConfig } from './config.js';
import { createEdgeServer } from './http/server.js';
import { EdgeMetrics } from './metrics.js';
import { ModelStore } from './models/model-store.js';
import { ModelSync } from './models/model-sync.js';
import { Uploader } from './upload/uploader.js';

/** Segment files are at most this large, and at most an eighth of the buffer (so acked space frees up in steps). */
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;

export interface RunningEdgeAgent {
  readonly logger: Logger;
  readonly server: FastifyInstance;
  /** Stops taking detects, finishes those in flight and the upload in hand, closes the buffer. */
  stop(): Promise<void>;
}

/**
 * The edge agent: the on-disk model cache and result buffer are opened first (so a restart
 * without central serves at once), then the local API listens, then sync and upload start.
 */
export async function startEdgeAgent(config: EdgeConfig): Promise<RunningEdgeAgent> {
  const logger = createLogger({ service: config.SERVICE_NAME, level: effectiveLogLevel(config) });
  logger.info({ config: maskConfig(config) }, 'edge agent starting');
  const maxBytes = Math.floor(config.EDGE_BUFFER_MAX_MB * 1024 * 1024);
  const [models, buffer] = await Promise.all([
    ModelStore.open(join(config.EDGE_DATA_DIR, 'models'), logger),
    ResultBuffer.open({
      dir: join(config.EDGE_DATA_DIR, 'buffer'),
      maxBytes,
      segmentBytes: Math.max(64 * 1024, Math.min(MAX_SEGMENT_BYTES, Math.floor(maxBytes / 8))),
      logger,
    }),
  ]);
  const pending = buffer.stats();
  logger.info(
    { models: models.all().map((m) => `${m.name}@${m.version}`), buffered: pending.results },
    'edge agent: cache and buffer opened',
  );
  const metrics = new EdgeMetrics(config.SERVICE_NAME, {
    buffer: () => buffer.stats(),
    models: () => models.all().length,
  });
  metrics.bufferDamage.inc(buffer.damagedOnOpen);
  const central = new CentralClient({
    baseUrl: config.CENTRAL_API_URL,
    apiKey: config.EDGE_API_KEY,
    timeoutMs: config.CENTRAL_TIMEOUT_MS,
  });
  const sync = new ModelSync(central, models, metrics, logger, config.SYNC_INTERVAL * 1000);
  const uploader = new Uploader(
    buffer,
    new DeadLetters(join(config.EDGE_DATA_DIR, 'dead-letter.ndjson')),
    central,
    metrics,
    logger,
    {
      agentId: config.EDGE_AGENT_ID,
      maxResults: config.EDGE_UPLOAD_BATCH_RESULTS,
      maxRows: config.MAX_DETECTION_BATCH_SIZE,
      maxBackoffMs: config.SYNC_INTERVAL * 1000,
    },
  );
  let accepting = true;
  const server = createEdgeServer({
    config,
    logger,
    metrics,
    models,
    buffer,
    onBuffered: () => uploader.kick(),
    accepting: () => accepting,
    status: () => ({
      lastSyncAt: metrics.lastSyncAt?.toISOString() ?? null,
      lastUploadAt: metrics.lastUploadAt?.toISOString() ?? null,
    }),
  });
  await server.listen({ host: config.HOST, port: config.PORT });
  logger.info({ host: config.HOST, port: config.PORT }, 'edge agent listening');
  sync.start();
  uploader.start();
  return {
    logger,
    server,
    async stop() {
      accepting = false;
      await server.close();
      await Promise.all([sync.stop(), uploader.stop()]);
      await buffer.close();
    },
  };
}
