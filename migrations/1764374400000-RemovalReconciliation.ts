import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Removal reconciliation and retry from history: the candidate set a run computed (so an
 * approval applies exactly that set, batch by batch), the link from a resumed run row to the
 * run whose workflow execution, staging and checkpoints it continues, and an index to find a
 * task's latest successful full run (the multi-owner removal rule asks it per owner).
 */
export class RemovalReconciliation1764374400000 implements MigrationInterface {
  name = 'RemovalReconciliation1764374400000';

  public async up(q: QueryRunner): Promise<void> {
    // run_id is the run the activities know (the root of a resumed run): a resume keeps the set
    await q.query(`CREATE TABLE removal_candidate (
      run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
      datacard_id uuid NOT NULL REFERENCES datacard(id) ON DELETE CASCADE,
      kind text NOT NULL,
      applied boolean NOT NULL DEFAULT false,
      PRIMARY KEY (run_id, datacard_id))`);
    // applying walks the unapplied rows in key order; applied ones drop out of this index
    await q.query(`CREATE INDEX removal_candidate_pending_idx ON removal_candidate (run_id, datacard_id) WHERE NOT applied`);

    // a row created by POST /runs/:id/retry {resume}: the activities of the reset execution still
    // carry the root run's id, and write run-level state to the newest row that resumes it
    await q.query(`ALTER TABLE run ADD COLUMN resume_root_id uuid REFERENCES run(id)`);
    await q.query(`CREATE INDEX run_resume_root_idx ON run (resume_root_id, started_at DESC) WHERE resume_root_id IS NOT NULL`);

    await q.query(`CREATE INDEX run_task_succeeded_full_idx ON run (task_id, started_at DESC) WHERE status = 'succeeded' AND mode = 'full'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS run_task_succeeded_full_idx`);
    await q.query(`DROP INDEX IF EXISTS run_resume_root_idx`);
    await q.query(`ALTER TABLE run DROP COLUMN IF EXISTS resume_root_id`);
    await q.query(`DROP TABLE IF EXISTS removal_candidate`);
  }
}
