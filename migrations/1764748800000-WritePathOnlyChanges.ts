import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The write path does work only for what changed (issue 16):
 *  - `run.seen_set_at`: the run whose staged unchanged ids are its task's seen set. Unchanged
 *    records no longer refresh their sighting, so "another owner still sees it" is answered from
 *    that set (pushed records refresh their sighting as before). One set per task, replaced by
 *    the next complete full run.
 *  - datacard ids are time-ordered (`uuidv7()`, PostgreSQL 18): a load appends to the primary key
 *    and the folder index instead of touching a random page per row.
 *  - the rows a load writes by the hundred thousand lose their foreign keys: sightings and the
 *    owner side of links (each checked row locked its datacard, FOR KEY SHARE rewrites that row's
 *    header), datacards' template and folder, outcomes' run. Each check is a query per written
 *    row. The import writes them in the transaction that writes (or reads) what they point at,
 *    after checking the template and folder; datacards, templates and folders are never deleted
 *    (removal is a status), and the one place that deletes a run row deletes its outcomes first.
 *    Two indexes nothing reads go: sightings by (task_id, last_run_id) and links by member
 *    (links are read by their group).
 *  - staging gets a partial index of the rows load still has to write, so a run that changed 1%
 *    walks 1% of its staging.
 */
export class WritePathOnlyChanges1764748800000 implements MigrationInterface {
  name = 'WritePathOnlyChanges1764748800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run ADD COLUMN seen_set_at timestamptz`);
    await q.query(`ALTER TABLE datacard ALTER COLUMN id SET DEFAULT uuidv7()`);
    await q.query(`ALTER TABLE datacard_sighting DROP CONSTRAINT IF EXISTS datacard_sighting_datacard_id_fkey`);
    await q.query(`ALTER TABLE datacard_link DROP CONSTRAINT IF EXISTS datacard_link_datacard_id_fkey`);
    await q.query(`ALTER TABLE datacard DROP CONSTRAINT IF EXISTS datacard_template_code_fkey`);
    await q.query(`ALTER TABLE datacard DROP CONSTRAINT IF EXISTS datacard_folder_code_fkey`);
    await q.query(`ALTER TABLE run_record DROP CONSTRAINT IF EXISTS run_record_run_id_fkey`);
    await q.query(`DROP INDEX IF EXISTS datacard_sighting_task_idx`);
    await q.query(`DROP INDEX IF EXISTS datacard_link_target_idx`);
    await q.query(`CREATE INDEX staging_record_to_load ON staging_record (run_id, resource, source_id) WHERE decision IN ('create', 'update') AND NOT loaded`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS staging_record_to_load`);
    await q.query(`CREATE INDEX IF NOT EXISTS datacard_sighting_task_idx ON datacard_sighting (task_id, last_run_id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS datacard_link_target_idx ON datacard_link (target_id)`);
    // rows whose card no longer exists could not satisfy the keys again
    await q.query(`DELETE FROM datacard_link l WHERE NOT EXISTS (SELECT 1 FROM datacard d WHERE d.id = l.datacard_id)`);
    await q.query(`DELETE FROM datacard_sighting s WHERE NOT EXISTS (SELECT 1 FROM datacard d WHERE d.id = s.datacard_id)`);
    await q.query(`ALTER TABLE datacard_link ADD CONSTRAINT datacard_link_datacard_id_fkey FOREIGN KEY (datacard_id) REFERENCES datacard(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE datacard_sighting ADD CONSTRAINT datacard_sighting_datacard_id_fkey FOREIGN KEY (datacard_id) REFERENCES datacard(id) ON DELETE CASCADE`);
    await q.query(`DELETE FROM run_record r WHERE NOT EXISTS (SELECT 1 FROM run x WHERE x.id = r.run_id)`);
    await q.query(`ALTER TABLE run_record ADD CONSTRAINT run_record_run_id_fkey FOREIGN KEY (run_id) REFERENCES run(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE datacard ADD CONSTRAINT datacard_folder_code_fkey FOREIGN KEY (folder_code) REFERENCES folder(code)`);
    await q.query(`ALTER TABLE datacard ADD CONSTRAINT datacard_template_code_fkey FOREIGN KEY (template_code) REFERENCES template(code)`);
    await q.query(`ALTER TABLE datacard ALTER COLUMN id SET DEFAULT gen_random_uuid()`);
    await q.query(`ALTER TABLE run DROP COLUMN IF EXISTS seen_set_at`);
  }
}
