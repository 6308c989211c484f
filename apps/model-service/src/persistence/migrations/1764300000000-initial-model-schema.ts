import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model schema. Written as SQL rather than generated so the review shows exactly what runs;
 * tables are created in the connection's search_path, which is the service's own schema.
 */
export class InitialModelSchema1764300000000 implements MigrationInterface {
  name = 'InitialModelSchema1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // latest_version is the version counter: publishing increments it under the row lock in the
    // same transaction that inserts the version, so concurrent publishes get n and n+1 and a
    // rolled-back publish leaves no gap.
    await queryRunner.query(`
      CREATE TABLE models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        detector_id uuid NULL,
        algorithm text NOT NULL,
        latest_version integer NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
    await queryRunner.query(
      `CREATE INDEX models_tenant_created_idx ON models (tenant_id, created_at, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE model_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        algorithm text NOT NULL,
        format text NOT NULL,
        format_version integer NOT NULL,
        artifact bytea NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size_bytes integer NOT NULL CHECK (size_bytes = octet_length(artifact)),
        parameters jsonb NOT NULL,
        training jsonb NOT NULL,
        metrics jsonb NULL,
        lineage jsonb NOT NULL,
        archived_at timestamptz(3) NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (model_id, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX model_versions_page_idx ON model_versions (tenant_id, model_id, created_at, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE model_aliases (
        model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias text NOT NULL CHECK (alias IN ('champion', 'challenger')),
        tenant_id uuid NOT NULL,
        version integer NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, alias),
        FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX model_aliases_tenant_idx ON model_aliases (tenant_id, alias)`,
    );
    // Every move of an alias, oldest first: rollback reads the champion's history from here,
    // and it is the audit trail of who promoted what.
    await queryRunner.query(`
      CREATE TABLE model_alias_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id uuid NOT NULL,
        model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias text NOT NULL CHECK (alias IN ('champion', 'challenger')),
        action text NOT NULL CHECK (action IN ('promote', 'rollback', 'unassign')),
        version integer NULL,
        previous_version integer NULL,
        actor text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX model_alias_history_model_idx ON model_alias_history (model_id, alias, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_alias_history`);
    await queryRunner.query(`DROP TABLE model_aliases`);
    await queryRunner.query(`DROP TABLE model_versions`);
    await queryRunner.query(`DROP TABLE models`);
  }
}
