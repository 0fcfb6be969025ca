import type { FinishResult } from '@app/temporal';
import type { Db } from './db';
import type { RunRepository } from './run-repository';

/**
 * Closes a successful run: authoritative counts from the per-record outcomes, status
 * succeeded, the task's watermark moved to the run's start (only ever forward), staging dropped.
 */
export async function finishRun(db: Db, runs: RunRepository, runId: string): Promise<FinishResult> {
  await runs.get(runId);
  await runs.enterPhase(runId, 'finish');
  const stats = await runs.recomputeStats(runId);
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ task_id: string; started_at: Date }>(
      `UPDATE run SET status = 'succeeded', phase = 'done', finished_at = now(), error = NULL WHERE id = $1 RETURNING task_id, started_at`,
      [runId],
    );
    // records changed after the start may have been missed by this read: the next one starts there
    await tx.query(
      `UPDATE import_task SET watermark = $2 WHERE id = $1 AND (watermark IS NULL OR watermark < $2)`,
      [rows[0].task_id, rows[0].started_at],
    );
  });
  await db.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
  return { status: 'succeeded', stats };
}
