import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Extract maps records as it reads them: a record mapped on the way in is staged without its raw
 * SCIM JSON (only its mapped attributes, unique value and hash), so raw becomes optional. Records
 * that could not be mapped on the way in keep their raw JSON for the map step.
 */
export class StagingMappedAtExtract1764460800000 implements MigrationInterface {
  name = 'StagingMappedAtExtract1764460800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staging_record ALTER COLUMN raw DROP NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // staged rows mapped at extract have no raw JSON to restore; an empty object keeps them loadable
    await q.query(`UPDATE staging_record SET raw = '{}'::jsonb WHERE raw IS NULL`);
    await q.query(`ALTER TABLE staging_record ALTER COLUMN raw SET NOT NULL`);
  }
}
