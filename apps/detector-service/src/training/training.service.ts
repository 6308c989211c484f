import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  averagePrecision,
  createDetector,
  LIBRARY_VERSION,
  Matrix,
  rocAuc,
} from '@nomaly/detection-core';
import { ServiceError, type Logger } from '@nomaly/platform-core';
import { PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { datasetV1 } from '@nomaly/proto';
import { DatasetClient, ModelClient } from '../clients/upstream.clients.js';
import type { DetectorConfig } from '../config.js';
import { asValidationError, DetectorService } from '../detectors/detector.service.js';
import type { DetectorEntity } from '../persistence/index.js';
import type { JobDto, TrainingResult } from './training.dto.js';

/** Jobs kept for status queries; the oldest finished ones go first. */
const MAX_JOBS = 1_000;

/**
 * Trains detectors: rows stream in over gRPC from the dataset-service, the model is fitted here
 * and published over gRPC to the model-service. Small datasets train within the request; larger
 * ones become an in-process job (durable, queued jobs are the worker's, issue 7).
 */
@Injectable()
export class TrainingService {
  private readonly jobs = new Map<string, JobDto & { tenantId: string }>();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: DetectorConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    private readonly detectors: DetectorService,
    private readonly datasets: DatasetClient,
    private readonly models: ModelClient,
  ) {}

  /** Trains now (small data) or starts a job (large data). */
  async train(
    tenantId: string,
    detectorId: string,
    request: { datasetId: string; seed?: number },
  ): Promise<{ sync: true; result: TrainingResult } | { sync: false; job: JobDto }> {
    const detector = await this.detectors.get(tenantId, detectorId);
    const dataset = await this.datasets.describe(tenantId, request.datasetId);
    const features = this.features(detector, dataset);
    const rows = Number(dataset.rows);
    if (rows <= this.config.SYNC_TRAIN_MAX_ROWS) {
      return {
        sync: true,
        result: await this.fit(tenantId, detector, dataset, features, request.seed),
      };
    }
    const now = new Date().toISOString();
    const job: JobDto & { tenantId: string } = {
      id: randomUUID(),
      kind: 'train',
      state: 'running',
      detectorId,
      datasetId: request.datasetId,
      progress: { rows: 0, totalRows: rows },
      createdAt: now,
      updatedAt: now,
      tenantId,
    };
    this.remember(job);
    void this.fit(tenantId, detector, dataset, features, request.seed, job).then(
      (result) =>
        Object.assign(job, { state: 'succeeded', result, updatedAt: new Date().toISOString() }),
      (error: unknown) => {
        const known = error instanceof ServiceError ? error : undefined;
        this.logger.error({ err: error, jobId: job.id }, 'training job failed');
        Object.assign(job, {
          state: 'failed',
          error: {
            code: known?.code ?? 'INTERNAL',
            detail: known?.message ?? 'Training failed; see the service log.',
          },
          updatedAt: new Date().toISOString(),
        });
      },
    );
    return { sync: false, job: publicJob(job) };
  }

  job(tenantId: string, id: string): JobDto {
    const job = this.jobs.get(id);
    if (job === undefined || job.tenantId !== tenantId) {
      throw new ServiceError('NOT_FOUND', `No job with id ${id}.`);
    }
    return publicJob(job);
  }

  /** The detector's feature columns, checked against the dataset's schema. */
  private features(detector: DetectorEntity, dataset: datasetV1.DescribeDatasetResponse): string[] {
    const usable = dataset.columns.filter(
      (c) =>
        !c.isLabel &&
        (c.type === datasetV1.ColumnType.COLUMN_TYPE_NUMERIC ||
          c.type === datasetV1.ColumnType.COLUMN_TYPE_TIMESTAMP),
    );
    if (detector.features === null) {
      if (usable.length === 0) {
        throw new ServiceError('VALIDATION_FAILED', 'The dataset has no numeric feature column.', {
          status: 422,
        });
      }
      return usable.map((c) => c.name);
    }
    const byName = new Map(dataset.columns.map((c) => [c.name, c]));
    for (const name of detector.features) {
      const column = byName.get(name);
      if (column === undefined) {
        throw new ServiceError('VALIDATION_FAILED', `The dataset has no column '${name}'.`, {
          status: 422,
        });
      }
      if (!usable.includes(column)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `Column '${name}' is not numeric (or is the label) and cannot be a feature.`,
          { status: 422 },
        );
      }
    }
    return detector.features;
  }

  private async fit(
    tenantId: string,
    detector: DetectorEntity,
    dataset: datasetV1.DescribeDatasetResponse,
    features: string[],
    seed: number | undefined,
    job?: JobDto,
  ): Promise<TrainingResult> {
    const started = Date.now();
    const n = Number(dataset.rows);
    const d = features.length;
    const data = new Float64Array(n * d);
    const labelColumn = dataset.columns.find((c) => c.isLabel);
    const withLabel =
      labelColumn !== undefined && labelColumn.type === datasetV1.ColumnType.COLUMN_TYPE_NUMERIC;
    const labels = withLabel ? new Uint8Array(n) : undefined;
    let received = 0;
    for await (const chunk of this.datasets.rows(tenantId, {
      datasetId: dataset.datasetId,
      columns: features,
      includeLabel: withLabel,
      maxRowsPerChunk: 0,
    })) {
      const offset = Number(chunk.rowOffset);
      chunk.columns.forEach((column, j) => {
        column.values.forEach((value, i) => {
          data[(offset + i) * d + j] = value;
        });
      });
      if (labels !== undefined) {
        chunk.label.forEach((value, i) => (labels[offset + i] = value > 0 ? 1 : 0));
      }
      received += chunk.rowCount;
      if (job !== undefined) {
        job.progress.rows = received;
        job.updatedAt = new Date().toISOString();
      }
    }
    if (received !== n) {
      throw new ServiceError(
        'DEPENDENCY_UNAVAILABLE',
        `The dataset stream ended after ${received} of ${n} rows; retry.`,
        { retryAfterSeconds: 5 },
      );
    }
    let model;
    try {
      const parameters = { ...detector.parameters, ...(seed === undefined ? {} : { seed }) };
      model = createDetector(detector.algorithm, parameters).fit(new Matrix(data, n, d, features));
    } catch (error) {
      throw asValidationError(error);
    }
    const trainingScores = model.score(new Matrix(data, n, d, features));
    const metrics =
      labels !== undefined && labels.some((y) => y === 1) && labels.some((y) => y === 0)
        ? {
            rocAuc: rocAuc(labels, trainingScores),
            averagePrecision: averagePrecision(labels, trainingScores),
          }
        : undefined;
    const durationMs = Date.now() - started;
    const artifact = Buffer.from(JSON.stringify(model.toJSON()), 'utf8');
    const saved = await this.models.save(
      tenantId,
      {
        modelId: detector.modelId ?? '',
        modelName: `detector-${detector.id}`,
        trainingDurationMs: durationMs,
        ...(metrics === undefined ? {} : { metrics }),
        lineage: {
          datasetId: dataset.datasetId,
          datasetChecksum: dataset.checksum,
          detectorId: detector.id,
          codeVersion: LIBRARY_VERSION,
        },
      },
      artifact,
    );
    await this.detectors.recordTraining(detector.id, saved.modelId, saved.version);
    this.logger.info(
      {
        detectorId: detector.id,
        modelId: saved.modelId,
        version: saved.version,
        rows: n,
        durationMs,
      },
      'detector trained',
    );
    return {
      modelVersion: {
        id: `${saved.modelId}:${saved.version}`,
        modelId: saved.modelId,
        version: saved.version,
        sha256: saved.sha256,
      },
      rows: n,
      features,
      threshold: model.threshold,
      durationMs,
      ...(metrics === undefined ? {} : { metrics }),
    };
  }

  private remember(job: JobDto & { tenantId: string }): void {
    this.jobs.set(job.id, job);
    if (this.jobs.size <= MAX_JOBS) return;
    for (const [id, old] of this.jobs) {
      if (old.state !== 'running') {
        this.jobs.delete(id);
        if (this.jobs.size <= MAX_JOBS) return;
      }
    }
  }
}

function publicJob(job: JobDto & { tenantId: string }): JobDto {
  const { tenantId: _tenantId, ...rest } = job;
  return structuredClone(rest);
}
