/**
 * What keeps the statements over staging fast whatever the planner's statistics say. Each run
 * stages into its own partition (staging-partition.ts), whose statistics are missing or describe
 * an earlier point of the run until it is analysed, so a run's rows can be badly misjudged. On
 * such an estimate a join of the run's rows with anything becomes a nested loop that reads the whole run's staging once per staged row (a
 * 20k first import spent minutes in one diff statement; at 1M records a removal statement never
 * finished). Two guards, each checked by test/import/staging-plans.spec.ts with EXPLAIN on a
 * freshly filled staging:
 *  - statistics that know the run, refreshed once its read is complete (diff, before the first
 *    statement that joins the run's rows);
 *  - the statements that join the run's rows with themselves or with a whole table (diff's
 *    duplicate check and decision, removal candidates, load's clean-up of outcomes after a
 *    staging redo) run without nested loops: hash joins read each side once, so they stay linear
 *    even where an estimate is wrong (a run that read 1,500 records of a task owning 1M).
 */
import type { Db, Sql, StatementWatch } from '../db';
import { stagingPartitionName } from './staging-partition';

/**
 * Records staged by a run from which its staging statistics are refreshed. Below it, even a plan
 * on an estimate of one row stays cheap (a few thousand rows visited a few thousand times), and
 * small incremental runs do not pay for sampling a big staging.
 */
export const ANALYZE_FROM_STAGED = 2000;

/**
 * Refreshes staging's statistics once a run staged `staged` records, so the planner knows the run.
 * Only the columns the statements filter, group and join on (the JSON columns are costly to
 * sample and never filtered on). ANALYZE samples a bounded number of pages: about 0.3 s for a
 * 2M-row, 900 MB staging. With `runId`, only the run's partition (its statements are pruned to
 * it and planned on its statistics; ANALYZE of the partitioned staging_record samples and
 * analyses every run's partition). Returns whether it analysed.
 */
export async function refreshStagingStatistics(db: Db, activity: StatementWatch, staged: number, runId?: string): Promise<boolean> {
  if (staged < ANALYZE_FROM_STAGED) return false;
  const table = runId === undefined ? 'staging_record' : stagingPartitionName(runId);
  await db.longQuery(activity, `ANALYZE ${table} (run_id, resource, source_id, unique_value, decision, loaded)`);
  return true;
}

/** For the rest of the transaction: joins by hash or merge, never a nested loop over a side whose size was misjudged. */
export async function withoutNestedLoops(tx: Sql): Promise<void> {
  await tx.query('SET LOCAL enable_nestloop = off');
}

/**
 * The settings of extract's page transaction. Staging is UNLOGGED (gone after a database crash
 * anyway): its checkpoint need not wait for the WAL flush. Given a choice, the planner hashes the
 * task's whole cache (100k entries) for every page instead of probing it (PAGE_DECISION probes anyway).
 */
export async function pagePlanSettings(tx: Sql): Promise<void> {
  await tx.query(`SET LOCAL synchronous_commit = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`);
}
