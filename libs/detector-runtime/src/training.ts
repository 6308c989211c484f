import {
  averagePrecision,
  createDetector,
  DetectionError,
  LIBRARY_VERSION,
  Matrix,
  rocAuc,
} from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';
import { datasetV1 } from '@nomaly/proto';
import type { DatasetClient, ModelClient } from './upstream-clients.js';

/** What training needs to know of a detector (the detector-service's row, or a job's copy). */
export interface DetectorSpec {
  readonly id: string;
  readonly algorithm: string;
  /** Validated against the algorithm's schema when the detector was created. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Feature columns to train on; null = every numeric column but the label. */
  readonly features: readonly string[] | null;
  /** The model-service model holding the detector's versions; null before the first training. */
  readonly modelId: string | null;
}

/** What a training produced (the train call's 200 answer, or a train job's result). */
export interface TrainingResult {
  modelVersion: { id: string; modelId: string; version: number; sha256: string };
  rows: number;
  features: string[];
  threshold: number;
  durationMs: number;
  metrics?: { rocAuc: number; averagePrecision: number };
}

/** A detection-core argument error as the caller's 400, naming the parameter. */
export function asValidationError(error: unknown): unknown {
  return error instanceof DetectionError
    ? new ServiceError('VALIDATION_FAILED', error.message, { cause: error })
    : error;
}

const isUsable = (column: datasetV1.Column): boolean =>
  !column.isLabel &&
  (column.type === datasetV1.ColumnType.COLUMN_TYPE_NUMERIC ||
    column.type === datasetV1.ColumnType.COLUMN_TYPE_TIMESTAMP);

/**
 * The feature columns a detector trains on in a dataset: its own list, each checked to exist
 * and be numeric (or a timestamp) and not the label, or else every such column.
 *
 * @throws ServiceError `VALIDATION_FAILED` (422) naming the column that cannot be a feature.
 */
export function selectFeatures(
  features: readonly string[] | null,
  dataset: datasetV1.DescribeDatasetResponse,
): string[] {
  if (features === null) {
    const usable = dataset.columns.filter(isUsable);
    if (usable.length === 0) {
      throw new ServiceError('VALIDATION_FAILED', 'The dataset has no numeric feature column.', {
        status: 422,
      });
    }
    return usable.map((c) => c.name);
  }
  const byName = new Map(dataset.columns.map((c) => [c.name, c]));
  for (const name of features) {
    const column = byName.get(name);
    if (column === undefined) {
      throw new ServiceError('VALIDATION_FAILED', `The dataset has no column '${name}'.`, {
        status: 422,
      });
    }
    if (!isUsable(column)) {
      throw new ServiceError(
        'VALIDATION_FAILED',
        `Column '${name}' is not numeric (or is the label) and cannot be a feature.`,
        { status: 422 },
      );
    }
  }
  return [...features];
}

/** Training rows in memory, row-major, with the dataset's 0/1 labels when it has numeric ones. */
export interface TrainingData {
  readonly data: Float64Array;
  readonly rows: number;
  readonly features: readonly string[];
  readonly labels?: Uint8Array;
}

/**
 * Streams a dataset's feature columns (and its label, when numeric) from the dataset-service
 * into one row-major matrix. `onProgress` hears the rows received so far after each message; a
 * rejection from it stops the stream (a cancelled job).
 *
 * @throws ServiceError `DEPENDENCY_UNAVAILABLE` when the stream ends before the last row.
 */
export async function readTrainingData(
  datasets: DatasetClient,
  tenantId: string,
  dataset: datasetV1.DescribeDatasetResponse,
  features: readonly string[],
  onProgress?: (rows: number) => void | Promise<void>,
): Promise<TrainingData> {
  const n = Number(dataset.rows);
  const d = features.length;
  const data = new Float64Array(n * d);
  const labelColumn = dataset.columns.find((c) => c.isLabel);
  const withLabel =
    labelColumn !== undefined && labelColumn.type === datasetV1.ColumnType.COLUMN_TYPE_NUMERIC;
  const labels = withLabel ? new Uint8Array(n) : undefined;
  let received = 0;
  for await (const chunk of datasets.rows(tenantId, {
    datasetId: dataset.datasetId,
    columns: [...features],
    includeLabel: withLabel,
    maxRowsPerChunk: 0,
    startRow: 0,
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
    await onProgress?.(received);
  }
  if (received !== n) {
    throw new ServiceError(
      'DEPENDENCY_UNAVAILABLE',
      `The dataset stream ended after ${received} of ${n} rows; retry.`,
      { retryAfterSeconds: 5 },
    );
  }
  return { data, rows: n, features, ...(labels === undefined ? {} : { labels }) };
}

/** Which algorithm to fit, with which parameters; `seed` overrides the detector's own. */
export interface FitRequest {
  readonly algorithm: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly seed?: number;
}

/** A fitted model: its sealed document (JSON text), threshold, and the training rows' scores. */
export interface FittedModel {
  readonly document: string;
  readonly threshold: number;
  readonly scores: Float64Array;
}

/**
 * Fits the detector on the training rows and scores them. Pure computation, no I/O: it runs in
 * a request (small datasets) or on a worker thread (jobs).
 *
 * @throws ServiceError `VALIDATION_FAILED` when the algorithm refuses the data or parameters.
 */
export function fitModel(
  request: FitRequest,
  training: Pick<TrainingData, 'data' | 'rows' | 'features'>,
): FittedModel {
  const X = new Matrix(training.data, training.rows, training.features.length, training.features);
  try {
    const parameters = {
      ...request.parameters,
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    };
    const model = createDetector(request.algorithm, parameters).fit(X);
    return {
      document: JSON.stringify(model.toJSON()),
      threshold: model.threshold,
      scores: model.score(X),
    };
  } catch (error) {
    throw asValidationError(error);
  }
}

/** Everything a new version records about where it came from. */
export interface PublishInput {
  readonly detector: DetectorSpec;
  readonly dataset: Pick<datasetV1.DescribeDatasetResponse, 'datasetId' | 'checksum'>;
  readonly features: readonly string[];
  readonly fitted: FittedModel;
  /** The training rows' 0/1 labels: ROC-AUC and average precision when both classes occur. */
  readonly labels?: Uint8Array;
  /** Time spent reading and fitting, recorded on the version. */
  readonly durationMs: number;
  /**
   * Names the publication (`SaveVersion.publish_key`): a training run again under the same key
   * — fitted to the same data with the same seed, so to the same bytes — gets the version the
   * first run published instead of another.
   */
  readonly publishKey?: string;
}

/** Publishes the fitted model as the next version of the detector's model (model-service). */
export async function publishModel(
  models: ModelClient,
  tenantId: string,
  input: PublishInput,
): Promise<TrainingResult> {
  const { detector, dataset, fitted, labels, durationMs } = input;
  const metrics =
    labels !== undefined && labels.some((y) => y === 1) && labels.some((y) => y === 0)
      ? {
          rocAuc: rocAuc(labels, fitted.scores),
          averagePrecision: averagePrecision(labels, fitted.scores),
        }
      : undefined;
  const saved = await models.save(
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
      publishKey: input.publishKey ?? '',
    },
    Buffer.from(fitted.document, 'utf8'),
  );
  return {
    modelVersion: {
      id: `${saved.modelId}:${saved.version}`,
      modelId: saved.modelId,
      version: saved.version,
      sha256: saved.sha256,
    },
    rows: fitted.scores.length,
    features: [...input.features],
    threshold: fitted.threshold,
    durationMs,
    ...(metrics === undefined ? {} : { metrics }),
  };
}
