import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run rows follow Temporal: a workflow that closed without its own clean-up (terminated from the
 * UI or CLI, or killed by its run timeout) shows as `terminated` or `timedOut`, not as a run
 * still in progress. `staging_released_at` records when a run's staging was removed by the
 * retention rule, after which the run can no longer be resumed (only restarted).
 */
export class RunStateFromTemporal1764637200000 implements MigrationInterface {
  name = 'RunStateFromTemporal1764637200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run DROP CONSTRAINT IF EXISTS run_status_check`);
    await q.query(`ALTER TABLE run ADD CONSTRAINT run_status_check CHECK (status IN ('running','succeeded','failed','cancelled','terminated','timedOut'))`);
    await q.query(`ALTER TABLE run ADD COLUMN staging_released_at timestamptz`);
    // the reconciler and the staging sweep look at open runs and at finished runs by age
    await q.query(`CREATE INDEX run_finished_idx ON run (finished_at) WHERE status <> 'running'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS run_finished_idx`);
    await q.query(`ALTER TABLE run DROP COLUMN IF EXISTS staging_released_at`);
    // the older schema knows no terminated/timedOut: such runs ended without their clean-up, like a failure
    await q.query(`UPDATE run SET status = 'failed' WHERE status IN ('terminated','timedOut')`);
    await q.query(`ALTER TABLE run DROP CONSTRAINT IF EXISTS run_status_check`);
    await q.query(`ALTER TABLE run ADD CONSTRAINT run_status_check CHECK (status IN ('running','succeeded','failed','cancelled'))`);
  }
}
