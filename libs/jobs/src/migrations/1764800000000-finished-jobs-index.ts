import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finished jobs by when they finished, for the retention purge (`JOB_RETENTION_DAYS`): each
 * reconciler pass deletes the oldest expired ones without scanning the table.
 */
export class FinishedJobsIndex1764800000000 implements MigrationInterface {
  name = 'FinishedJobsIndex1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX jobs_finished_idx ON jobs (finished_at)
         WHERE state IN ('succeeded', 'failed', 'cancelled')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX jobs_finished_idx`);
  }
}
