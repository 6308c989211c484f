import {
  LOG_LEVELS,
  envInteger,
  envPositiveNumber,
  envUrl,
  loadConfig,
} from '@nomaly/platform-core';
import { z } from 'zod';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The functions' environment, validated once per cold start. The model comes from one of two
 * places: a bundled artifact (`MODEL_ARTIFACT_PATH` with its `MODEL_SHA256` and `MODEL_VERSION`),
 * or the central API (`CENTRAL_API_URL` and `CENTRAL_API_KEY`: the model's champion, checked
 * again every `MODEL_REFRESH_SECONDS`).
 */
export const serverlessConfigSchema = z
  .object({
    SERVICE_NAME: z.string().min(1).default('nomaly-lambda'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /** The model to score with. */
    MODEL_ID: z.string().regex(UUID, 'must be the model id (a UUID)'),
    MODEL_ARTIFACT_PATH: z.string().min(1).optional(),
    MODEL_SHA256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits')
      .optional(),
    MODEL_VERSION: z
      .string()
      .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer')
      .transform(Number)
      .optional(),
    MODEL_NAME: z.string().min(1).default('bundled'),
    CENTRAL_API_URL: envUrl(['http:', 'https:']),
    /** An API key of the tenant with at least the viewer role. */
    CENTRAL_API_KEY: z.string().min(8).optional(),
    CENTRAL_TIMEOUT_MS: envInteger(10_000, 100, 60_000),
    /** How long a central model is used before the champion is checked again. */
    MODEL_REFRESH_SECONDS: envInteger(300, 1, 86_400),
    MAX_DETECTION_BATCH_SIZE: envInteger(10_000, 1, 10_000_000),
    /** API Gateway's own limit on a Lambda payload is 6 MB (10 MB for HTTP APIs). */
    MAX_REQUEST_SIZE_MB: envPositiveNumber(6, 10),
    /** Use this directory (one sub-directory per bucket) instead of S3: local runs and tests. */
    OBJECT_STORE_DIR: z.string().min(1).optional(),
    /** Set by the Lambda runtime. */
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.MODEL_ARTIFACT_PATH !== undefined) {
      if (config.MODEL_SHA256 === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['MODEL_SHA256'],
          message: 'is required with MODEL_ARTIFACT_PATH: the artifact is used only if it matches',
        });
      }
      if (config.MODEL_VERSION === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['MODEL_VERSION'],
          message: 'is required with MODEL_ARTIFACT_PATH',
        });
      }
      return;
    }
    if (config.CENTRAL_API_URL === undefined || config.CENTRAL_API_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['MODEL_ARTIFACT_PATH'],
        message:
          'or both CENTRAL_API_URL and CENTRAL_API_KEY must be set: where the model comes from',
      });
    }
  });

export type ServerlessConfig = z.infer<typeof serverlessConfigSchema>;

export function loadServerlessConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServerlessConfig {
  return loadConfig(serverlessConfigSchema, env);
}
