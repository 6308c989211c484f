import type { JobState, JobType } from './job-state.js';

/** A model version as jobs name it: `modelId:version` plus its parts. */
export interface ModelVersionRef {
  id: string;
  modelId: string;
  version: number;
}

/**
 * What a train job trains, copied from the detector when the job is accepted: the job runs the
 * detector as it was then, whatever edits follow.
 */
export interface TrainSpec {
  readonly type: 'train';
  readonly algorithm: string;
  readonly parameters: Record<string, unknown>;
  /** Resolved against the dataset at submission. */
  readonly features: string[];
  /** The detector's model-service model, null before its first training. */
  readonly modelId: string | null;
  readonly datasetChecksum: string;
}

/**
 * What a detect job scores with: the model version current when the job was accepted, pinned so
 * that every attempt (and every chunk) uses the same one.
 */
export interface DetectSpec {
  readonly type: 'detect';
  readonly modelId: string;
  readonly version: number;
  readonly threshold: number;
  /** The model's feature columns, in its order. */
  readonly features: string[];
}

export type JobSpec = TrainSpec | DetectSpec;

/** What a finished detect job reports. */
export interface DetectJobResult {
  /** Where the scores are: `/api/v1/jobs/{id}/results`. */
  location: string;
  rows: number;
  anomalies: number;
  threshold: number;
  modelVersion: ModelVersionRef;
}

/** What a finished train job reports (the same as a training within the request). */
export interface TrainJobResult {
  modelVersion: ModelVersionRef & { sha256: string };
  rows: number;
  features: string[];
  threshold: number;
  durationMs: number;
  metrics?: { rocAuc: number; averagePrecision: number };
}

export type JobResult = TrainJobResult | DetectJobResult;

export interface JobError {
  code: string;
  detail: string;
}

/** A row of `jobs`. */
export interface JobRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly type: JobType;
  readonly state: JobState;
  readonly detectorId: string;
  readonly datasetId: string;
  readonly seed: number | null;
  readonly spec: JobSpec;
  readonly totalRows: number;
  readonly chunkRows: number;
  readonly progressRows: number;
  /** Times a worker started it. */
  readonly attempts: number;
  /** Times a worker started it after the previous one vanished mid-run (killed, lock lost). */
  readonly interruptions: number;
  readonly error: JobError | null;
  readonly result: JobResult | null;
  readonly createdBy: string;
  readonly idempotencyKey: string | null;
  readonly requestFingerprint: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** A job as the API shows it. */
export interface JobDto {
  id: string;
  type: JobType;
  state: JobState;
  detectorId: string;
  datasetId: string;
  seed?: number;
  progress: { rows: number; totalRows: number };
  attempts: number;
  /** Detect jobs: the model version that scores the rows. */
  modelVersion?: ModelVersionRef;
  /** Why it failed; on a queued job, why its last attempt failed (it will be retried). */
  error?: JobError;
  result?: JobResult;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/** Where a detect job's scores are read. */
export function resultsLocation(jobId: string): string {
  return `/api/v1/jobs/${jobId}/results`;
}

export function modelVersionRef(modelId: string, version: number): ModelVersionRef {
  return { id: `${modelId}:${version}`, modelId, version };
}

export function toJobDto(record: JobRecord): JobDto {
  const { spec } = record;
  return {
    id: record.id,
    type: record.type,
    state: record.state,
    detectorId: record.detectorId,
    datasetId: record.datasetId,
    ...(record.seed === null ? {} : { seed: record.seed }),
    progress: { rows: record.progressRows, totalRows: record.totalRows },
    attempts: record.attempts,
    ...(spec.type === 'detect'
      ? { modelVersion: modelVersionRef(spec.modelId, spec.version) }
      : {}),
    ...(record.error === null ? {} : { error: record.error }),
    ...(record.result === null ? {} : { result: record.result }),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    ...(record.startedAt === null ? {} : { startedAt: record.startedAt.toISOString() }),
    ...(record.finishedAt === null ? {} : { finishedAt: record.finishedAt.toISOString() }),
  };
}
