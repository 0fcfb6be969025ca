import type { FinishResult } from '@app/temporal';
import type { Db } from './db';
import type { RunRepository } from './run-repository';

/**
 * Closes a successful run: authoritative counts from the per-record outcomes, status
 * succeeded, the task's watermark moved to the run's start (only ever forward), staging and
 * removal candidates dropped (a dry run leaves the watermark alone). A resumed run closes its showing row; its work data is the root's.
 */
export async function finishRun(db: Db, runs: RunRepository, runId: string): Promise<FinishResult> {
  const run = await runs.get(runId);
  await runs.enterPhase(runId, 'finish');
  const stats = await runs.recomputeStats(runId);
  if (run.dryRun) await runs.addNote(runId, 'dry run: the counts and outcomes say what a run would do; nothing in the target was changed');
  await db.transaction(async (tx) => {
    // an incremental run has no reconcile step; it still says why it removed nothing
    await tx.query(
      `UPDATE run SET status = 'succeeded', phase = 'done', finished_at = now(), error = NULL,
              removal = CASE WHEN removal IS NULL AND $2 = 'incremental'
                             THEN jsonb_build_object('state', 'skipped', 'reason', 'incremental runs never remove: they do not read everything')
                             ELSE removal END
        WHERE id = $1`,
      [run.rowId, run.mode],
    );
    // records changed after the start may have been missed by this read: the next one starts there
    // (a resumed run read at its first execution's start, so that is the instant that counts)
    // a dry run loaded nothing: the next real run must still read what changed since the last real one
    if (!run.dryRun) {
      await tx.query(
        `UPDATE import_task SET watermark = $2 WHERE id = $1 AND (watermark IS NULL OR watermark < $2)`,
        [run.taskId, run.startedAt],
      );
    }
  });
  await db.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
  await db.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [runId]);
  return { status: 'succeeded', stats };
}
