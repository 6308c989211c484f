import { Inject, Injectable } from '@nestjs/common';
import { createDetector } from '@nomaly/detection-core';
import { asValidationError, DatasetClient, selectFeatures } from '@nomaly/detector-runtime';
import {
  clampResultsLimit,
  isJobState,
  isJobType,
  jobFingerprint,
  JobStore,
  toJobDto,
  type JobDto,
  type JobListFilter,
  type JobRecord,
  type JobRequest,
  type JobResultRow,
  type JobSpec,
  type JobType,
} from '@nomaly/jobs';
import { ServiceError, type Logger, type Page, type Principal } from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import type { DetectorConfig } from '../config.js';
import { DetectionService } from '../detection/detection.service.js';
import { DetectorService } from '../detectors/detector.service.js';
import { JobQueueConnection } from './job-queue-connection.js';

/** A submission: a job request, validated in shape (the DTO) but not yet against the data. */
export interface Submission extends JobRequest {
  readonly type: JobType;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Durable jobs, the detector-service's side: accepting them (validated against the detector and
 * the dataset, committed to Postgres, then queued), reading, listing and cancelling them, and
 * reading a detect job's scores. The worker runs them.
 */
@Injectable()
export class JobsService {
  private readonly store: JobStore;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: DetectorConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    database: Database,
    private readonly connection: JobQueueConnection,
    private readonly detectors: DetectorService,
    private readonly datasets: DatasetClient,
    private readonly detection: DetectionService,
  ) {
    this.store = new JobStore(database);
  }

  /**
   * Accepts a job. With an idempotency key the caller used before: the same request gets that
   * job back (`created: false`, whatever its state; Redis need not be up), another request is a
   * 422. Otherwise the job is checked against its detector and dataset (404, 409, 422 as for a
   * training), refused with 503 while the queue is unreachable — nothing written — then
   * committed, and only then queued: if queuing fails after the commit, the job stays accepted
   * and the worker's reconciler queues it.
   */
  async submit(
    principal: Principal,
    request: Submission,
    idempotencyKey?: string,
  ): Promise<{ job: JobDto; created: boolean }> {
    const { tenantId, subject } = principal;
    if (request.type !== 'train' && request.seed !== undefined) {
      throw new ServiceError('VALIDATION_FAILED', 'seed applies to train jobs only.');
    }
    const fingerprint = jobFingerprint(request);
    if (idempotencyKey !== undefined) {
      const existing = await this.store.findByIdempotencyKey(tenantId, subject, idempotencyKey);
      if (existing !== undefined)
        return { job: this.replay(existing, fingerprint), created: false };
    }
    const detector = await this.detectors.get(tenantId, request.detectorId);
    const dataset = await this.datasets.describe(tenantId, request.datasetId);
    let spec: JobSpec;
    if (request.type === 'train') {
      try {
        // The parameters and the seed as the fit will take them: refused now (400), not as a
        // failed job later (a seed for an algorithm without randomness, say).
        createDetector(detector.algorithm, {
          ...detector.parameters,
          ...(request.seed === undefined ? {} : { seed: request.seed }),
        });
      } catch (error) {
        throw asValidationError(error);
      }
      spec = {
        type: 'train',
        algorithm: detector.algorithm,
        parameters: detector.parameters,
        features: selectFeatures(detector.features, dataset),
        modelId: detector.modelId,
        datasetChecksum: dataset.checksum,
      };
    } else {
      const { model, modelId, version } = await this.detection.currentModel(tenantId, detector);
      spec = {
        type: 'detect',
        modelId,
        version,
        threshold: model.threshold,
        features: selectFeatures(model.featureNames, dataset),
      };
    }
    const queues = this.connection.available();
    const { record, created } = await this.store.insert({
      tenantId,
      type: request.type,
      detectorId: detector.id,
      datasetId: dataset.datasetId,
      seed: request.seed ?? null,
      spec,
      totalRows: Number(dataset.rows),
      chunkRows: this.config.JOB_CHUNK_ROWS,
      createdBy: subject,
      idempotencyKey: idempotencyKey ?? null,
      requestFingerprint: fingerprint,
    });
    if (!created) return { job: this.replay(record, fingerprint), created: false };
    try {
      await queues.add(record.type, record.id);
    } catch (error) {
      this.logger.warn(
        { err: error, jobId: record.id },
        'job accepted but not queued (Redis failed after the commit); the reconciler will queue it',
      );
    }
    this.logger.info(
      {
        jobId: record.id,
        type: record.type,
        detectorId: record.detectorId,
        rows: record.totalRows,
      },
      'job accepted',
    );
    return { job: toJobDto(record), created: true };
  }

  async get(tenantId: string, id: string): Promise<JobDto> {
    const record = await this.store.get(tenantId, id);
    if (record === undefined) throw notFound(id);
    return toJobDto(record);
  }

  async list(
    tenantId: string,
    query: { state?: string; type?: string; detectorId?: string },
    page: { limit: number; cursor: string | undefined },
  ): Promise<Page<JobDto>> {
    const filter: { -readonly [K in keyof JobListFilter]: JobListFilter[K] } = {};
    if (query.state !== undefined) {
      if (!isJobState(query.state)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `state must be queued, running, succeeded, failed or cancelled; got "${query.state.slice(0, 32)}".`,
        );
      }
      filter.state = query.state;
    }
    if (query.type !== undefined) {
      if (!isJobType(query.type)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `type must be train or detect; got "${query.type.slice(0, 32)}".`,
        );
      }
      filter.type = query.type;
    }
    if (query.detectorId !== undefined) {
      if (!UUID.test(query.detectorId)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `detectorId must be a UUID, got "${query.detectorId.slice(0, 64)}".`,
        );
      }
      filter.detectorId = query.detectorId.toLowerCase();
    }
    const found = await this.store.list(tenantId, filter, page);
    return {
      items: found.items.map(toJobDto),
      ...(found.nextCursor === undefined ? {} : { nextCursor: found.nextCursor }),
    };
  }

  /**
   * Cancels a queued or running job (a running one stops at its next chunk; what it stored
   * stays readable). Cancelling a cancelled job answers it again; a finished one is a 409.
   */
  async cancel(tenantId: string, id: string): Promise<JobDto> {
    const outcome = await this.store.cancel(tenantId, id);
    switch (outcome.kind) {
      case 'missing':
        throw notFound(id);
      case 'finished':
        throw new ServiceError(
          'CONFLICT',
          `Job ${id} has already ${outcome.record.state}; only queued or running jobs can be cancelled.`,
        );
      case 'cancelled':
        this.logger.info({ jobId: id }, 'job cancelled');
        return toJobDto(outcome.record);
    }
  }

  results(
    tenantId: string,
    id: string,
    query: { limit?: string; cursor?: string },
  ): Promise<Page<JobResultRow>> {
    return this.store.results(tenantId, id, {
      limit: clampResultsLimit(query.limit),
      cursor: query.cursor,
    });
  }

  /** The job an idempotency key names, if this is the request that created it. */
  private replay(record: JobRecord, fingerprint: string): JobDto {
    if (record.requestFingerprint !== fingerprint) {
      throw new ServiceError(
        'IDEMPOTENCY_KEY_REUSED',
        `This Idempotency-Key already created job ${record.id} with a different request (type, detectorId, datasetId or seed differ).`,
        { details: { jobId: record.id } },
      );
    }
    return toJobDto(record);
  }
}

function notFound(id: string): ServiceError {
  return new ServiceError('NOT_FOUND', `No job with id ${id}.`);
}
