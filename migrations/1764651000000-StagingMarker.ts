import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staging is UNLOGGED: crash recovery (or a restore from a physical backup) empties it, while
 * the logged checkpoints and run rows say the records were read. `staging_marker` holds one row
 * per run whose staging exists, and is UNLOGGED too: PostgreSQL empties both in the same
 * recovery, so a run whose marker is gone knows its staging is gone and reads its source again
 * (`run.staging_redos` counts how often; the load then keeps each record's first outcome).
 */
export class StagingMarker1764651000000 implements MigrationInterface {
  name = 'StagingMarker1764651000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNLOGGED TABLE staging_marker (
      run_id uuid PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now())`);
    // runs in flight keep their staging: mark the ones that have any
    await q.query(`INSERT INTO staging_marker (run_id) SELECT DISTINCT run_id FROM run_extract WHERE EXISTS (
      SELECT 1 FROM staging_record s WHERE s.run_id = run_extract.run_id)`);
    await q.query(`ALTER TABLE run ADD COLUMN staging_redos integer NOT NULL DEFAULT 0`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run DROP COLUMN IF EXISTS staging_redos`);
    await q.query(`DROP TABLE IF EXISTS staging_marker`);
  }
}
