import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { JobQueues } from '@nomaly/jobs';
import { createRedisClient, ServiceError, type Logger } from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import type { Redis } from 'ioredis';
import type { DetectorConfig } from '../config.js';

/**
 * The job queues, over a Redis connection of their own (created to fail fast: a submission
 * while that connection is down is refused at once, never left waiting). Without
 * `REDIS_URL` there are no queues and job submissions answer 503 saying so.
 */
@Injectable()
export class JobQueueConnection implements OnApplicationShutdown {
  private readonly redis: Redis | undefined;
  private readonly queues: JobQueues | undefined;

  constructor(
    @Inject(PLATFORM_CONFIG) config: DetectorConfig,
    @Inject(PLATFORM_LOGGER) logger: Logger,
  ) {
    if (config.REDIS_URL === undefined) return;
    this.redis = createRedisClient(config.REDIS_URL, logger, {
      connectionName: `${config.SERVICE_NAME}-queue`,
    });
    this.queues = new JobQueues(this.redis, {
      attempts: config.JOB_RETRY_ATTEMPTS,
      delayMs: config.JOB_RETRY_DELAY_MS,
    });
  }

  /**
   * The queues, while their Redis connection is up.
   *
   * @throws ServiceError 503: `DEPENDENCY_UNAVAILABLE` with Retry-After when Redis is down,
   *   `SERVICE_UNAVAILABLE` when this service has no `REDIS_URL`.
   */
  available(): JobQueues {
    if (this.queues === undefined) {
      throw new ServiceError(
        'SERVICE_UNAVAILABLE',
        'Jobs need Redis for their queue, and this detector-service has no REDIS_URL.',
      );
    }
    this.queues.assertAvailable();
    return this.queues;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queues?.close().catch(() => undefined);
    if (this.redis === undefined) return;
    await Promise.race([
      this.redis.quit().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
    ]);
    this.redis.disconnect();
  }
}
