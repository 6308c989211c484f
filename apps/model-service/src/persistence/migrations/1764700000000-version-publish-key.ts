import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key a publisher names a publication with (`SaveVersion.publish_key`): a retried call finds
 * the version it already published instead of publishing another. Unique per model; versions
 * published without a key (NULL) are never matched.
 */
export class VersionPublishKey1764700000000 implements MigrationInterface {
  name = 'VersionPublishKey1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE model_versions ADD COLUMN publish_key text NULL
         CHECK (publish_key ~ '^[\\x21-\\x7e]{1,200}$')`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX model_versions_publish_key_idx ON model_versions (model_id, publish_key)
         WHERE publish_key IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX model_versions_publish_key_idx`);
    await queryRunner.query(`ALTER TABLE model_versions DROP COLUMN publish_key`);
  }
}
