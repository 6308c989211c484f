import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable jobs in the detector-service's schema (the worker is that service's back end and
 * shares it). `jobs` is the record of every accepted job: written before it is queued, and the
 * truth the reconciler re-queues from when Redis loses the queue. `job_chunks` holds a detect
 * job's scores one chunk of rows per row, keyed by (job, chunk), so a chunk written twice
 * (a worker killed after writing it, a job re-run) leaves one copy. A chunk's scores are IEEE 754
 * doubles, little-endian, 8 bytes per row, in row order: a 10,000-row chunk writes and reads
 * about 20 times faster than as `double precision[]`, whose every value goes through text.
 *
 * An idempotency key is unique per tenant and caller; jobs keep it for as long as they live.
 */
export class DurableJobs1764500000000 implements MigrationInterface {
  name = 'DurableJobs1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('train', 'detect')),
        state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        detector_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        seed integer NULL,
        spec jsonb NOT NULL,
        total_rows bigint NOT NULL CHECK (total_rows >= 0),
        chunk_rows integer NOT NULL CHECK (chunk_rows > 0),
        progress_rows bigint NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        interruptions integer NOT NULL DEFAULT 0,
        error_code text NULL,
        error_detail text NULL,
        result jsonb NULL,
        created_by text NOT NULL,
        idempotency_key text NULL,
        request_fingerprint text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        started_at timestamptz(3) NULL,
        finished_at timestamptz(3) NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX jobs_idempotency_key_idx ON jobs (tenant_id, created_by, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at, id)`);
    await queryRunner.query(
      `CREATE INDEX jobs_open_idx ON jobs (created_at) WHERE state IN ('queued', 'running')`,
    );
    await queryRunner.query(`
      CREATE TABLE job_chunks (
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        chunk_index integer NOT NULL CHECK (chunk_index >= 0),
        row_offset bigint NOT NULL,
        row_count integer NOT NULL CHECK (row_count > 0),
        scores bytea NOT NULL CHECK (length(scores) = 8 * row_count),
        anomalies integer NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, chunk_index)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_chunks`);
    await queryRunner.query(`DROP TABLE jobs`);
  }
}
