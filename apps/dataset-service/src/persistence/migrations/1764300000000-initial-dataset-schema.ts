import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dataset schema: one row per dataset and its values as compressed column chunks (a chunk
 * is one column over a range of rows), never one row per sample. Tables are created in the
 * connection's search_path, which is the service's own schema.
 */
export class InitialDatasetSchema1764300000000 implements MigrationInterface {
  name = 'InitialDatasetSchema1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE datasets (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        version integer NOT NULL CHECK (version >= 1),
        rows bigint NOT NULL CHECK (rows > 0),
        column_count integer NOT NULL CHECK (column_count > 0),
        label_column text NULL,
        format text NOT NULL CHECK (format IN ('csv', 'json', 'ndjson')),
        bytes bigint NOT NULL CHECK (bytes >= 0),
        chunk_rows integer NOT NULL CHECK (chunk_rows > 0),
        chunk_count integer NOT NULL CHECK (chunk_count > 0),
        schema jsonb NOT NULL,
        stats jsonb NOT NULL,
        quality jsonb NOT NULL,
        checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
        created_by text NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name, version),
        UNIQUE (id, tenant_id)
      )`);
    // Lists page by (created_at, id) within a tenant.
    await queryRunner.query(
      `CREATE INDEX datasets_tenant_created_idx ON datasets (tenant_id, created_at, id)`,
    );
    // Chunks are written before their dataset row, in the same transaction (the version is
    // only taken at the end, under a short lock), hence the deferred foreign key.
    await queryRunner.query(`
      CREATE TABLE dataset_chunks (
        dataset_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        column_index integer NOT NULL CHECK (column_index >= 0),
        chunk_index integer NOT NULL CHECK (chunk_index >= 0),
        row_offset bigint NOT NULL CHECK (row_offset >= 0),
        row_count integer NOT NULL CHECK (row_count > 0),
        encoding text NOT NULL CHECK (encoding IN ('float64', 'float64+missing', 'utf8-json')),
        compression text NOT NULL DEFAULT 'gzip' CHECK (compression = 'gzip'),
        payload bytea NOT NULL,
        checksum bytea NOT NULL CHECK (length(checksum) = 32),
        PRIMARY KEY (dataset_id, column_index, chunk_index),
        FOREIGN KEY (dataset_id, tenant_id) REFERENCES datasets (id, tenant_id)
          ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
      )`);
    // Payloads are gzip already: TOAST should store them out of line without compressing again.
    await queryRunner.query(`ALTER TABLE dataset_chunks ALTER COLUMN payload SET STORAGE EXTERNAL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dataset_chunks`);
    await queryRunner.query(`DROP TABLE datasets`);
  }
}
