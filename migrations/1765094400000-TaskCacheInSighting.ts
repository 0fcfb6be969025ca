import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per task and datacard for what the task last saw and what it last pushed (issue 23):
 * the task cache (hash and push time) moves into the sighting, which a load writes for the same
 * records in the same batch. A first import writes one bookkeeping row per record instead of two,
 * and extract's page decision finds both in one probe of the sighting's key.
 *
 * The cache was keyed by (task, kind, unique value); a sighting is keyed by (datacard, task) and
 * its datacard has the unique value, so each entry moves to the sighting of the card with that
 * unique value of the same task and kind. An entry without such a sighting is dropped: its record
 * is pushed again on the next run, which is what a missing entry always meant.
 */
export class TaskCacheInSighting1765094400000 implements MigrationInterface {
  name = 'TaskCacheInSighting1765094400000';

  public async up(q: QueryRunner): Promise<void> {
    // NULL hash: nothing pushed since the task's cache was last cleared
    await q.query(`ALTER TABLE datacard_sighting ADD COLUMN hash text, ADD COLUMN pushed_at timestamptz`);
    await q.query(
      `UPDATE datacard_sighting s SET hash = c.hash, pushed_at = c.pushed_at
         FROM datacard d, task_cache c
        WHERE d.id = s.datacard_id AND c.task_id = s.task_id AND c.kind = s.kind AND c.unique_value = d.unique_value`,
    );
    await q.query(`DROP TABLE task_cache`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE task_cache (
      task_id uuid NOT NULL,
      kind text NOT NULL,
      unique_value text NOT NULL,
      hash text NOT NULL,
      pushed_at timestamptz NOT NULL,
      PRIMARY KEY (task_id, kind, unique_value))`);
    // cards of two templates may share a unique value under one task and kind: the latest push wins
    await q.query(
      `INSERT INTO task_cache (task_id, kind, unique_value, hash, pushed_at)
       SELECT DISTINCT ON (s.task_id, s.kind, d.unique_value) s.task_id, s.kind, d.unique_value, s.hash, s.pushed_at
         FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id
        WHERE s.hash IS NOT NULL AND s.pushed_at IS NOT NULL AND s.kind IS NOT NULL
        ORDER BY s.task_id, s.kind, d.unique_value, s.pushed_at DESC`,
    );
    await q.query(`ALTER TABLE datacard_sighting DROP COLUMN hash, DROP COLUMN pushed_at`);
  }
}
