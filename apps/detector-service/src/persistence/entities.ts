import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A detector: an algorithm with parameters, and the model versions trained from it. */
@Entity({ name: 'detectors' })
export class DetectorEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) algorithm!: string;
  /** Validated against the algorithm's parameter schema, defaults not filled in (they may change). */
  @Column({ type: 'jsonb' }) parameters!: Record<string, unknown>;
  /** Feature columns to train on; null = every numeric column but the label. */
  @Column({ type: 'text', array: true, nullable: true }) features!: string[] | null;
  /** The model-service model holding this detector's versions (set by the first training). */
  @Column({ name: 'model_id', type: 'uuid', nullable: true }) modelId!: string | null;
  /** The version the last training produced; detection uses the champion when there is one. */
  @Column({ name: 'latest_version', type: 'integer', nullable: true }) latestVersion!:
    number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 }) updatedAt!: Date;
}

export const DETECTOR_ENTITIES = [DetectorEntity];
