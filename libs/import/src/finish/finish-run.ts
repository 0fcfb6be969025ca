import type { FinishResult } from '@app/temporal';
import type { Db, Sql } from '@app/persistence';
import { StagingLostError } from '../errors/import-errors';
import type { RunRepository, RunAtWork } from '@app/persistence';
import { assertStagingIntact, forgetStaging } from '@app/persistence';

/**
 * Closes a successful run: authoritative counts from the per-record outcomes, status
 * succeeded, the task's watermark moved to the run's start (only ever forward), staging and
 * removal candidates dropped (a dry run leaves the watermark alone). A resumed run closes its
 * showing row; its work data is the root's.
 *
 * It first proves that everything the run read is in the target: staging still holds every
 * record the extracts counted, and each of them was loaded or failed on its own. Otherwise the
 * run must not succeed (nor move the watermark past records that never landed): StagingLostError
 * sends the workflow back to read the source again.
 */
export async function finishRun(db: Db, runs: RunRepository, runId: string): Promise<FinishResult> {
  const run = await runs.get(runId);
  if (run.status === 'succeeded') {
    // a retried attempt whose first try committed (its completion never reached Temporal): the
    // run stays as that commit left it; only the clean-up after it may still be missing
    const { rows } = await db.query<{ kept: boolean }>(`SELECT seen_set_at IS NOT NULL AS kept FROM run WHERE id = $1`, [run.rowId]);
    await releaseWorkData(db, runId, rows[0]?.kept === true);
    return { status: 'succeeded', stats: await runs.stats(runId) };
  }
  await runs.enterPhase(runId, 'finish');
  const stats = await runs.recomputeStats(runId);
  if (run.dryRun) await runs.addNote(runId, 'dry run: the counts and outcomes say what a run would do; nothing in the target was changed');
  let seenSet = false;
  try {
    await db.transaction(async (tx) => {
      // in the transaction that declares success: a crash before its commit aborts the commit too
      await assertEverythingLanded(tx, runId, run.dryRun);
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
      // (a resumed run read at its first execution's start, so that is the instant that counts);
      // a dry run loaded nothing: the next real run must still read what changed since the last real one
      if (!run.dryRun) {
        await tx.query(
          `UPDATE import_task SET watermark = $2 WHERE id = $1 AND (watermark IS NULL OR watermark < $2)`,
          [run.taskId, run.startedAt],
        );
        seenSet = await keepSeenSet(tx, run);
      }
    });
  } catch (err) {
    if (err instanceof StagingLostError) await forgetStaging(db, runId);
    throw err;
  }
  await releaseWorkData(db, runId, seenSet);
  return { status: 'succeeded', stats };
}

/** Drops a succeeded run's staging and removal candidates; the unchanged and failed ids (and marker) of a seen set stay. */
async function releaseWorkData(db: Db, runId: string, seenSet: boolean): Promise<void> {
  if (seenSet) {
    await db.query(`DELETE FROM staging_record WHERE run_id = $1 AND decision IS DISTINCT FROM 'unchanged' AND decision IS DISTINCT FROM 'failed'`, [runId]);
  } else {
    await db.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
    await db.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);
  }
  await db.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [runId]);
}

/**
 * A complete full read keeps the staged ids of what it found unchanged as the task's seen set:
 * those records wrote nothing and their sightings were not refreshed, so another owner's removal
 * rule asks the set whether this task still sees them. Records that failed on their own are
 * still listed: they stay in the set too. The set (with its staging marker, which
 * says whether crash recovery emptied it) replaces the one of the task's previous complete full
 * read. Records this run pushed have fresh sightings and need no entry. Returns whether it kept one.
 */
async function keepSeenSet(tx: Sql, run: RunAtWork): Promise<boolean> {
  if (run.mode !== 'full') return false;
  const { rows } = await tx.query<{ complete: boolean }>(
    `SELECT count(*) > 0 AND bool_and(done AND (report->>'complete') = 'true') AS complete FROM run_extract WHERE run_id = $1`,
    [run.id],
  );
  if (!rows[0]?.complete) return false;
  const { rows: previous } = await tx.query<{ work_id: string }>(
    `UPDATE run SET seen_set_at = NULL WHERE task_id = $1 AND seen_set_at IS NOT NULL RETURNING COALESCE(resume_root_id, id) AS work_id`,
    [run.taskId],
  );
  const old = [...new Set(previous.map((p) => p.work_id))].filter((id) => id !== run.id);
  if (old.length > 0) {
    await tx.query(`DELETE FROM staging_record WHERE run_id = ANY($1::uuid[])`, [old]);
    await tx.query(`DELETE FROM staging_marker WHERE run_id = ANY($1::uuid[])`, [old]);
  }
  await tx.query(`UPDATE run SET seen_set_at = now() WHERE id = $1`, [run.rowId]);
  return true;
}

/**
 * Throws StagingLostError unless every record read is staged and was loaded or failed alone
 * (a dry run loads nothing: for it, everything read must still be staged).
 */
async function assertEverythingLanded(tx: Sql, runId: string, dryRun: boolean): Promise<void> {
  await assertStagingIntact(tx, runId, 'finish');
  const { rows } = await tx.query<{ read: number; staged: number; unloaded: number }>(
    `SELECT (SELECT COALESCE(sum(fetched), 0)::int FROM run_extract WHERE run_id = $1) AS read,
            count(*)::int AS staged,
            (count(*) FILTER (WHERE NOT loaded AND decision IS DISTINCT FROM 'failed'))::int AS unloaded
       FROM staging_record WHERE run_id = $1`,
    [runId],
  );
  const { read, staged, unloaded } = rows[0];
  if (staged < read || (!dryRun && unloaded > 0)) {
    throw new StagingLostError(
      `finish: ${staged < read ? `staging holds ${staged} of the ${read} records this run read` : `${unloaded} of the ${staged} staged records were never loaded`}; the run reads its source again`,
    );
  }
}
