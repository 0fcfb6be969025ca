import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A load batch's completion is one row, not a flag on each staged row it wrote (issue 23): the
 * per-row UPDATE of `staging_record.loaded` rewrote every created or updated record once more
 * (a new row version and index entries per record). A committed batch records the key range it
 * wrote, (after, last] of its kind in source-id order, and how many rows, in its own transaction;
 * a retried load starts its windows after what is recorded. `loaded` keeps marking the records
 * extract or diff found unchanged (nothing to write).
 *
 * UNLOGGED and tied to the staging marker, so the record lives exactly as long as the staging it
 * describes: crash recovery empties both (the run then reads its source again and keeps each
 * record's first outcome), and whatever drops a run's marker (staging released, lost, forgotten)
 * drops its batches with it.
 */
export class StagingLoadBatches1765094400001 implements MigrationInterface {
  name = 'StagingLoadBatches1765094400001';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNLOGGED TABLE staging_load_batch (
      run_id uuid NOT NULL REFERENCES staging_marker(run_id) ON DELETE CASCADE,
      resource text NOT NULL,
      after_source_id text NOT NULL,
      last_source_id text NOT NULL,
      loaded_rows integer NOT NULL,
      loaded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, resource, last_source_id))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // the rows of recorded batches get their flag back, so a load on the older code skips them
    await q.query(
      `UPDATE staging_record s SET loaded = true FROM staging_load_batch b
        WHERE s.run_id = b.run_id AND s.resource = b.resource AND s.source_id > b.after_source_id AND s.source_id <= b.last_source_id
          AND s.decision IN ('create', 'update') AND NOT s.loaded`,
    );
    await q.query(`DROP TABLE staging_load_batch`);
  }
}
