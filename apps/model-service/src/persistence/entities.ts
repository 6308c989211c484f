import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where a version came from; every field may be unknown. */
export interface Lineage {
  datasetId: string | null;
  datasetChecksum: string | null;
  detectorId: string | null;
  codeVersion: string | null;
}

/** Summary of the training scores, as detection-core's `summarize` gives it. */
export interface ScoreDistribution {
  count: number;
  mean: number;
  std: number;
  min: number;
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
}

export interface TrainingStatistics {
  scoreSummary: ScoreDistribution;
  threshold: number;
  rows: number;
  /** Null when the publisher did not say how long training took. */
  durationMs: number | null;
  anomalyRate: number;
}

/** Measured against a label column; absent when the training data had none. */
export interface VersionMetrics {
  rocAuc: number | null;
  averagePrecision: number | null;
}

/** A registered model of a tenant: a name and an algorithm, whose versions are its artifacts. */
@Entity({ name: 'models' })
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'detector_id', type: 'uuid', nullable: true }) detectorId!: string | null;
  @Column({ type: 'text' }) algorithm!: string;
  @Column({ name: 'latest_version', type: 'integer' }) latestVersion!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

/**
 * One published version. `artifact` holds the model document's bytes exactly as published (so a
 * fetch is byte-identical) and is never selected unless asked for: listings stay small.
 */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'text' }) algorithm!: string;
  @Column({ type: 'text' }) format!: string;
  @Column({ name: 'format_version', type: 'integer' }) formatVersion!: number;
  @Column({ type: 'bytea', select: false }) artifact!: Buffer;
  @Column({ type: 'text' }) sha256!: string;
  @Column({ name: 'size_bytes', type: 'integer' }) sizeBytes!: number;
  @Column({ type: 'jsonb' }) parameters!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) training!: TrainingStatistics;
  @Column({ type: 'jsonb', nullable: true }) metrics!: VersionMetrics | null;
  @Column({ type: 'jsonb' }) lineage!: Lineage;
  @Column({ name: 'archived_at', type: 'timestamptz', precision: 3, nullable: true })
  archivedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

export const ALIASES = ['champion', 'challenger'] as const;
export type AliasName = (typeof ALIASES)[number];

/**
 * Mapped tables. `model_aliases` and `model_alias_history` are read and written with SQL only
 * (AliasService, ModelService), so they have no entity.
 */
export const MODEL_ENTITIES = [ModelEntity, ModelVersionEntity];
