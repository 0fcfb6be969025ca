import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A connector lists with `attributes=` naming only what a task maps (attribute projection) unless
 * this is turned off; existing connectors get it on, as new ones do. The read of each resource
 * keeps the choice it made (run_extract.projection), so a resumed read goes on as it began
 * without asking the source again.
 */
export class ConnectorAttributeProjection1764921600000 implements MigrationInterface {
  name = 'ConnectorAttributeProjection1764921600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connector ADD COLUMN attribute_projection boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE run_extract ADD COLUMN projection jsonb`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run_extract DROP COLUMN projection`);
    await q.query(`ALTER TABLE connector DROP COLUMN attribute_projection`);
  }
}
