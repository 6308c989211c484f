import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Results scored by edge agents and uploaded in batches (`POST /api/v1/results/edge`). One row
 * per answered detect call, keyed by (tenant, the id the agent made): an agent that re-sends a
 * batch whose acknowledgement it lost stores nothing twice (`ON CONFLICT DO NOTHING`). Unlike
 * `detection_results` the table is not partitioned by time: a partitioned table's unique keys
 * must include the partition column, and the idempotency key is the id alone.
 */
export class EdgeResults1764600000000 implements MigrationInterface {
  name = 'EdgeResults1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE edge_results (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        agent_id text NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
        detector_id uuid NOT NULL,
        model_id uuid NOT NULL,
        model_version integer NOT NULL CHECK (model_version > 0),
        scored_at timestamptz(3) NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now(),
        threshold double precision NOT NULL,
        scores double precision[] NOT NULL,
        labels smallint[] NOT NULL,
        anomalies integer NOT NULL CHECK (anomalies >= 0),
        CHECK (cardinality(scores) > 0 AND cardinality(scores) = cardinality(labels)),
        PRIMARY KEY (tenant_id, id)
      )`);
    await queryRunner.query(
      `CREATE INDEX edge_results_received_idx ON edge_results (tenant_id, received_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX edge_results_agent_idx ON edge_results (tenant_id, agent_id, received_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX edge_results_detector_idx ON edge_results (tenant_id, detector_id, received_at, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE edge_results`);
  }
}
