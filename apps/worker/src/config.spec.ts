import { ConfigError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config.js';

const REQUIRED = {
  DATABASE_URL: 'postgres://u:secret@db:5432/nomaly',
  REDIS_URL: 'redis://redis:6379',
};

describe(loadWorkerConfig.name, () => {
  it('has the worker’s defaults: port 8005, a thread per core, BullMQ’s lock', () => {
    const config = loadWorkerConfig(REQUIRED);
    expect(config).toMatchObject({
      SERVICE_NAME: 'worker',
      PORT: 8005,
      WORKER_CONCURRENCY: 1,
      JOB_LOCK_MS: 30_000,
      JOB_MAX_INTERRUPTIONS: 20,
      JOB_RETRY_ATTEMPTS: 5,
    });
    expect(config.WORKER_THREADS).toBeGreaterThanOrEqual(1);
  });

  it('names every missing or malformed variable at once', () => {
    let thrown: unknown;
    try {
      loadWorkerConfig({ WORKER_THREADS: '0', JOB_LOCK_MS: 'soon' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'DATABASE_URL',
      'JOB_LOCK_MS',
      'REDIS_URL',
      'WORKER_THREADS',
    ]);
  });
});
