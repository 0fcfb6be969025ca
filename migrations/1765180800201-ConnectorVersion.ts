import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A connector's version, counted by every update: its ETag, so a PATCH or DELETE with If-Match
 * changes only the version its sender saw (two editors no longer overwrite each other silently).
 */
export class ConnectorVersion1765180800201 implements MigrationInterface {
  name = 'ConnectorVersion1765180800201';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connector ADD COLUMN version integer NOT NULL DEFAULT 1`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connector DROP COLUMN version`);
  }
}
