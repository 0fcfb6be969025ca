import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the import activities need to resume and stay idempotent: a per-resource extract
 * checkpoint, a per-row "loaded" flag on staging, and the source id of each sighting so group
 * members resolve to accounts even when the account was not re-read (incremental runs).
 */
export class ImportRunCheckpoints1764288000000 implements MigrationInterface {
  name = 'ImportRunCheckpoints1764288000000';

  public async up(q: QueryRunner): Promise<void> {
    // survives a reset (heartbeat details do not): written in the same transaction as each page
    await q.query(`CREATE TABLE run_extract (
      run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
      resource text NOT NULL,
      path text NOT NULL,
      position jsonb,
      pages integer NOT NULL DEFAULT 0,
      fetched integer NOT NULL DEFAULT 0,
      -- incremental read replaced by a full read because the server cannot filter on lastModified
      full_read boolean NOT NULL DEFAULT false,
      done boolean NOT NULL DEFAULT false,
      report jsonb,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, resource))`);

    // a committed load batch flips its rows, so a retried load skips them
    await q.query(`ALTER TABLE staging_record ADD COLUMN loaded boolean NOT NULL DEFAULT false`);

    await q.query(`ALTER TABLE datacard_sighting ADD COLUMN kind text`);
    await q.query(`ALTER TABLE datacard_sighting ADD COLUMN source_id text`);
    await q.query(`CREATE INDEX datacard_sighting_source_idx ON datacard_sighting (task_id, kind, source_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS datacard_sighting_source_idx`);
    await q.query(`ALTER TABLE datacard_sighting DROP COLUMN IF EXISTS source_id`);
    await q.query(`ALTER TABLE datacard_sighting DROP COLUMN IF EXISTS kind`);
    await q.query(`ALTER TABLE staging_record DROP COLUMN IF EXISTS loaded`);
    await q.query(`DROP TABLE IF EXISTS run_extract`);
  }
}
