import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ColumnType } from '../profile/column-profile.js';
import type { ColumnStats } from '../profile/column-profile.js';
import type { QualityReport } from '../storage/dataset-ingest.js';
import type { UploadFormat } from '../ingest/table.js';

/** A column as the `schema` jsonb keeps it: what inference decided. */
export interface SchemaColumn {
  readonly name: string;
  readonly index: number;
  readonly type: ColumnType;
  readonly role: 'feature' | 'label';
  readonly note?: string;
}

/**
 * A stored dataset: immutable once written. Its values live in `dataset_chunks` (written raw,
 * in the same transaction); this row carries what inference and profiling found.
 */
@Entity({ name: 'datasets' })
export class DatasetEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  rows!: number;
  @Column({ name: 'column_count', type: 'integer' }) columnCount!: number;
  @Column({ name: 'label_column', type: 'text', nullable: true }) labelColumn!: string | null;
  @Column({ type: 'text' }) format!: UploadFormat;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  bytes!: number;
  @Column({ name: 'chunk_rows', type: 'integer' }) chunkRows!: number;
  @Column({ name: 'chunk_count', type: 'integer' }) chunkCount!: number;
  @Column({ type: 'jsonb' }) schema!: SchemaColumn[];
  @Column({ type: 'jsonb' }) stats!: ColumnStats[];
  @Column({ type: 'jsonb' }) quality!: QualityReport;
  @Column({ type: 'text' }) checksum!: string;
  @Column({ name: 'created_by', type: 'text', nullable: true }) createdBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

export const DATASET_ENTITIES = [DatasetEntity];
