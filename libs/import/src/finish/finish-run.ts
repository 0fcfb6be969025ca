import type { FinishResult } from '@app/temporal';
import { forgetStaging, ImportTaskRepository, RemovalCandidateRepository, StagingRepository, type Db, type RunRepository, type Sql } from '@app/persistence';
import { StagingLostError } from '../errors/import-errors';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { preparedRun, type PreparedRun } from '../run-config/prepared-run';

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
  const run = await preparedRun(runs, runId);
  const staging = new StagingRepository(db, runs);
  if (run.status === 'succeeded') {
    // a retried attempt whose first try committed (its completion never reached Temporal): the
    // run stays as that commit left it; only the clean-up after it may still be missing
    await releaseWorkData(db, staging, runId, await runs.keepsSeenSet(runId));
    return { status: 'succeeded', stats: await runs.stats(runId) };
  }
  await runs.enterPhase(runId, 'finish');
  const stats = await runs.recomputeStats(runId);
  if (run.dryRun) await runs.addNote(runId, 'dry run: the counts and outcomes say what a run would do; nothing in the target was changed');
  let seenSet = false;
  let superseded: string[] = [];
  try {
    await db.transaction(async (tx) => {
      // in the transaction that declares success: a crash before its commit aborts the commit too
      await assertEverythingLanded(tx, staging, runId, run.dryRun);
      await runs.succeed(runId, run.mode, tx);
      // records changed after the start may have been missed by this read: the next one starts there
      // (a resumed run read at its first execution's start, so that is the instant that counts);
      // a dry run loaded nothing: the next real run must still read what changed since the last real one
      if (!run.dryRun) {
        await new ImportTaskRepository(db).moveWatermark(run.taskId, run.startedAt, tx);
        ({ kept: seenSet, superseded } = await keepSeenSet(tx, runs, staging, run));
      }
    });
  } catch (err) {
    if (err instanceof StagingLostError) await forgetStaging(db, runId);
    throw err;
  }
  await releaseWorkData(db, staging, runId, seenSet);
  // the task's former seen sets: their markers went in the transaction, their partitions go now
  // (or with the staging sweep, should this attempt end here)
  await staging.dropReleased(superseded);
  return { status: 'succeeded', stats };
}

/** Drops a succeeded run's staging and removal candidates; the unchanged and failed ids (and marker) of a seen set stay. */
async function releaseWorkData(db: Db, staging: StagingRepository, runId: string, seenSet: boolean): Promise<void> {
  await staging.releaseSucceeded(runId, seenSet);
  await new RemovalCandidateRepository(db).drop(runId);
}

/**
 * A complete full read keeps the staged ids of what it found unchanged as the task's seen set:
 * those records wrote nothing and their sightings were not refreshed, so another owner's removal
 * rule asks the set whether this task still sees them. Records that failed on their own are
 * still listed: they stay in the set too. The set (with its staging marker, which
 * says whether crash recovery emptied it) replaces the one of the task's previous complete full
 * read. Records this run pushed have fresh sightings and need no entry. Returns whether it kept
 * one, and the work ids of the seen sets it replaced (their partitions are dropped after the commit).
 */
async function keepSeenSet(tx: Sql, runs: RunRepository, staging: StagingRepository, run: PreparedRun): Promise<{ kept: boolean; superseded: string[] }> {
  if (run.mode !== 'full') return { kept: false, superseded: [] };
  if (!(await runs.readCompleteness(run.id, tx)).complete) return { kept: false, superseded: [] };
  const previous = await runs.dropSeenSets(run.taskId, tx);
  const old = [...new Set(previous)].filter((id) => id !== run.id);
  if (old.length > 0) await staging.dropSeenSets(old, tx);
  await runs.keepSeenSet(run.id, tx);
  return { kept: true, superseded: old };
}

/**
 * Throws StagingLostError unless every record read is staged and was loaded or failed alone
 * (a dry run loads nothing: for it, everything read must still be staged).
 */
async function assertEverythingLanded(tx: Sql, staging: StagingRepository, runId: string, dryRun: boolean): Promise<void> {
  await assertStagingIntact(tx, runId, 'finish');
  const { read, staged, unloaded } = await staging.landing(runId, tx);
  if (staged < read || (!dryRun && unloaded > 0)) {
    throw new StagingLostError(
      `finish: ${staged < read ? `staging holds ${staged} of the ${read} records this run read` : `${unloaded} of the ${staged} staged records were never loaded`}; the run reads its source again`,
    );
  }
}
