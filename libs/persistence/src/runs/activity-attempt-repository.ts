import type { Db } from '../db';

/** The row of one scheduled activity (activity_attempt): its latest attempt and the crashes seen. */
export interface ActivityAttemptRow {
  attempt: number;
  open: boolean;
  crashes: number;
  crash_position: unknown;
}

/** Rows older than this belong to runs long over (a run lasts at most 12 h plus a 72 h removal decision). */
const STALE_AFTER = `14 days`;

/** activity_attempt: which attempt of an activity started, and whether it ended. */
export class ActivityAttemptRepository {
  constructor(private readonly db: Db) {}

  /**
   * Opens `attempt` of the activity, reading its predecessor's row in the same transaction (one
   * attempt at a time: a second one waits on the row lock). `decide` gets the previous row and
   * returns the crashes to record, and whether this attempt may run.
   */
  async open(
    key: { workflowRunId: string; activityId: string; activityType: string; attempt: number },
    decide: (previous: ActivityAttemptRow | undefined) => { crashes: number; crashPosition: unknown; run: boolean },
  ): Promise<{ crashes: number; run: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ActivityAttemptRow>(
        `SELECT attempt, open, crashes, crash_position FROM activity_attempt WHERE workflow_run_id = $1 AND activity_id = $2 FOR UPDATE`,
        [key.workflowRunId, key.activityId],
      );
      const verdict = decide(rows[0]);
      await tx.query(
        `INSERT INTO activity_attempt (workflow_run_id, activity_id, activity_type, attempt, open, crashes, crash_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (workflow_run_id, activity_id) DO UPDATE
           SET attempt = EXCLUDED.attempt, open = EXCLUDED.open, started_at = now(), crashes = EXCLUDED.crashes, crash_position = EXCLUDED.crash_position`,
        [key.workflowRunId, key.activityId, key.activityType, key.attempt, verdict.run, verdict.crashes, JSON.stringify(verdict.crashPosition ?? null)],
      );
      return { crashes: verdict.crashes, run: verdict.run };
    });
  }

  /** The attempt ended with a result: nothing will retry it. */
  async succeeded(workflowRunId: string, activityId: string, attempt: number): Promise<void> {
    await this.db.query(`DELETE FROM activity_attempt WHERE workflow_run_id = $1 AND activity_id = $2 AND attempt = $3`, [workflowRunId, activityId, attempt]);
  }

  /** The attempt ended with an error it threw: a retry may follow, and this was no crash. */
  async failed(workflowRunId: string, activityId: string, attempt: number): Promise<void> {
    await this.db.query(`UPDATE activity_attempt SET open = false WHERE workflow_run_id = $1 AND activity_id = $2 AND attempt = $3`, [workflowRunId, activityId, attempt]);
  }

  /** Drops the rows of runs long over (failed or terminated runs leave theirs). */
  async sweep(): Promise<void> {
    await this.db.query(`DELETE FROM activity_attempt WHERE started_at < now() - interval '${STALE_AFTER}'`);
  }
}
