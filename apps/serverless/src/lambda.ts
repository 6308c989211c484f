/**
 * The Lambda entry points (`detect`, `batch`; `serverless.yml` deploys them bundled). The
 * configuration, logger, model and object store are built on the first invocation of a container
 * and kept in module scope, so warm invocations reuse the loaded model.
 */
import { CentralClient } from '@nomaly/edge-runtime';
import { createLogger, maskConfig, type Logger } from '@nomaly/platform-core';
import { loadServerlessConfig, type ServerlessConfig } from './config.js';
import type { ApiGatewayEvent, ApiGatewayResult } from './handlers/api-gateway.js';
import { createBatchHandler, type BatchOutcome, type S3Event } from './handlers/batch.js';
import { createDetectHandler } from './handlers/detect.js';
import {
  BundledModelProvider,
  CentralModelProvider,
  type ModelProvider,
} from './model/model-provider.js';
import { DirectoryObjectStore } from './object-store/directory-object-store.js';
import type { ObjectStore } from './object-store/object-store.js';
import { S3ObjectStore } from './object-store/s3-object-store.js';

interface Container {
  readonly config: ServerlessConfig;
  readonly logger: Logger;
  readonly models: ModelProvider;
}

let container: Container | undefined;

function warm(): Container {
  if (container !== undefined) return container;
  const config = loadServerlessConfig();
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  logger.info({ config: maskConfig(config) }, 'cold start');
  container = { config, logger, models: modelProvider(config, logger) };
  return container;
}

/** The model source the configuration names (validated: one of the two is complete). */
export function modelProvider(config: ServerlessConfig, logger: Logger): ModelProvider {
  if (config.MODEL_ARTIFACT_PATH !== undefined) {
    return new BundledModelProvider({
      path: config.MODEL_ARTIFACT_PATH,
      sha256: config.MODEL_SHA256 as string,
      modelId: config.MODEL_ID.toLowerCase(),
      version: config.MODEL_VERSION as number,
      name: config.MODEL_NAME,
    });
  }
  const central = new CentralClient({
    baseUrl: config.CENTRAL_API_URL as string,
    apiKey: config.CENTRAL_API_KEY as string,
    timeoutMs: config.CENTRAL_TIMEOUT_MS,
  });
  return new CentralModelProvider(
    central,
    config.MODEL_ID.toLowerCase(),
    config.MODEL_REFRESH_SECONDS * 1000,
    logger,
  );
}

function objectStore(config: ServerlessConfig): ObjectStore {
  if (config.OBJECT_STORE_DIR !== undefined)
    return new DirectoryObjectStore(config.OBJECT_STORE_DIR);
  if (config.AWS_ACCESS_KEY_ID === undefined || config.AWS_SECRET_ACCESS_KEY === undefined) {
    throw new Error(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them from the role), and OBJECT_STORE_DIR is not set either.',
    );
  }
  return new S3ObjectStore(config.AWS_REGION, {
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    ...(config.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: config.AWS_SESSION_TOKEN }),
  });
}

let detectHandler: ((event: ApiGatewayEvent) => Promise<ApiGatewayResult>) | undefined;
let batchHandler: ((event: S3Event) => Promise<BatchOutcome[]>) | undefined;

/** The guide's `detect` function: API Gateway REST (v1) or HTTP API (v2) events. */
export async function detect(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
  const { config, logger, models } = warm();
  detectHandler ??= createDetectHandler({
    models,
    logger,
    maxRows: config.MAX_DETECTION_BATCH_SIZE,
    maxBodyBytes: Math.floor(config.MAX_REQUEST_SIZE_MB * 1024 * 1024),
  });
  return detectHandler(event);
}

/** The S3-triggered batch function. */
export async function batch(event: S3Event): Promise<BatchOutcome[]> {
  const { config, logger, models } = warm();
  batchHandler ??= createBatchHandler({
    models,
    logger,
    store: objectStore(config),
    maxRows: config.MAX_DETECTION_BATCH_SIZE,
  });
  return batchHandler(event);
}
