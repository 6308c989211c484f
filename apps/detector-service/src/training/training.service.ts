import { Inject, Injectable } from '@nestjs/common';
import {
  DatasetClient,
  fitModel,
  ModelClient,
  publishModel,
  readTrainingData,
  selectFeatures,
  type TrainingResult,
} from '@nomaly/detector-runtime';
import type { JobDto } from '@nomaly/jobs';
import type { Logger, Principal } from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import type { DetectorConfig } from '../config.js';
import { DetectorService } from '../detectors/detector.service.js';
import { JobsService } from '../jobs/jobs.service.js';

/**
 * Trains detectors. Datasets up to SYNC_TRAIN_MAX_ROWS train within the request: rows stream in
 * over gRPC from the dataset-service, the model is fitted here and published over gRPC to the
 * model-service. Larger ones become a durable train job, which the worker runs.
 */
@Injectable()
export class TrainingService {
  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: DetectorConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    private readonly detectors: DetectorService,
    private readonly datasets: DatasetClient,
    private readonly models: ModelClient,
    private readonly jobs: JobsService,
  ) {}

  /** Trains now (small data) or submits a train job (large data). */
  async train(
    principal: Principal,
    detectorId: string,
    request: { datasetId: string; seed?: number },
  ): Promise<{ sync: true; result: TrainingResult } | { sync: false; job: JobDto }> {
    const { tenantId } = principal;
    const detector = await this.detectors.get(tenantId, detectorId);
    const dataset = await this.datasets.describe(tenantId, request.datasetId);
    const features = selectFeatures(detector.features, dataset);
    if (Number(dataset.rows) > this.config.SYNC_TRAIN_MAX_ROWS) {
      const { job } = await this.jobs.submit(principal, {
        type: 'train',
        detectorId,
        datasetId: request.datasetId,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
      });
      return { sync: false, job };
    }
    const started = Date.now();
    const training = await readTrainingData(this.datasets, tenantId, dataset, features);
    const fitted = fitModel(
      {
        algorithm: detector.algorithm,
        parameters: detector.parameters,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
      },
      training,
    );
    const result = await publishModel(this.models, tenantId, {
      detector,
      dataset,
      features,
      fitted,
      ...(training.labels === undefined ? {} : { labels: training.labels }),
      durationMs: Date.now() - started,
    });
    await this.detectors.recordTraining(
      detector.id,
      result.modelVersion.modelId,
      result.modelVersion.version,
    );
    this.logger.info(
      { detectorId: detector.id, ...result.modelVersion, rows: result.rows },
      'detector trained',
    );
    return { sync: true, result };
  }
}
