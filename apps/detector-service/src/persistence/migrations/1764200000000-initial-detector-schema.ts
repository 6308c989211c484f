import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Detectors and detection results. Results are partitioned by month (range on `created_at`) as
 * the deployment guide's SQL does, so old months are dropped as whole partitions; a default
 * partition catches rows for months whose partition does not exist yet, and the service creates
 * the current and next month's partitions on start.
 */
export class InitialDetectorSchema1764200000000 implements MigrationInterface {
  name = 'InitialDetectorSchema1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE detectors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        algorithm text NOT NULL,
        parameters jsonb NOT NULL DEFAULT '{}',
        features text[] NULL,
        model_id uuid NULL,
        latest_version integer NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX detectors_tenant_idx ON detectors (tenant_id, created_at, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE detection_results (
        id bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id uuid NOT NULL,
        detector_id uuid NOT NULL,
        model_id uuid NOT NULL,
        model_version integer NOT NULL,
        row_index integer NOT NULL,
        score double precision NOT NULL,
        is_anomaly boolean NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await queryRunner.query(
      `CREATE TABLE detection_results_default PARTITION OF detection_results DEFAULT`,
    );
    await queryRunner.query(
      `CREATE INDEX detection_results_detector_time_idx ON detection_results (tenant_id, detector_id, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX detection_results_anomalies_idx ON detection_results (tenant_id, created_at) WHERE is_anomaly`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE detection_results`);
    await queryRunner.query(`DROP TABLE detectors`);
  }
}
