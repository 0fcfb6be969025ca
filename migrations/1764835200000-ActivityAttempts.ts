import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per activity of a workflow execution that is running or was retried: its attempt says
 * it started and is cleared when the attempt ends in any way the worker can observe. An attempt
 * that finds its predecessor's row still open knows that worker process vanished (out of memory,
 * killed); two such crashes at the same position fail the activity (WorkerCrashLoopError).
 */
export class ActivityAttempts1764835200000 implements MigrationInterface {
  name = 'ActivityAttempts1764835200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE activity_attempt (
      workflow_run_id text NOT NULL,
      activity_id text NOT NULL,
      activity_type text NOT NULL,
      attempt integer NOT NULL,
      open boolean NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      crashes integer NOT NULL DEFAULT 0,
      crash_position jsonb,
      PRIMARY KEY (workflow_run_id, activity_id))`);
    // the sweep of rows left by runs that failed or were terminated
    await q.query(`CREATE INDEX activity_attempt_started_at ON activity_attempt (started_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS activity_attempt`);
  }
}
