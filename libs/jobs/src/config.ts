import { envInteger } from '@nomaly/platform-core';

/**
 * The variables of the job queues shared by the detector-service (which queues jobs) and the
 * worker (whose reconciler queues them again): both must give an entry the same retry policy.
 */
export const jobQueueEnvShape = {
  /** Tries of a job whose attempt failed on a dependency (dataset/model-service, database). */
  JOB_RETRY_ATTEMPTS: envInteger(5, 1, 100),
  /** First back-off before such a retry, doubled each time. */
  JOB_RETRY_DELAY_MS: envInteger(5_000, 100, 3_600_000),
};
