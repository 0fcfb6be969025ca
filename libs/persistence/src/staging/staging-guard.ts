import type { Sql } from '../db';
import { partitionAttached, stagingPartitionName } from './staging-partition';

/**
 * Whether a run's staging is still the one its extracts filled: its staging marker (PostgreSQL
 * empties the UNLOGGED staging and its marker together in crash recovery or a restore) and its
 * partition (staging-partition.ts) are there, and how many of its resources were read, how
 * many not to the end.
 */
export interface StagingState {
  marker: boolean;
  resources: number;
  unread: number;
}

/**
 * The run's StagingState. Cheap (primary-key probes): the steps read it when they start and
 * before they report success, and inside the transactions whose result would be wrong on a lost
 * staging (pass the transaction: a crash during it aborts it).
 */
export async function stagingState(db: Sql, runId: string): Promise<StagingState> {
  // a run whose partition is gone (released while a resume was pending) lost its staging as surely as one whose marker is
  const { rows } = await db.query<{ marker: boolean; resources: number; unread: number }>(
    `SELECT EXISTS (SELECT 1 FROM staging_marker WHERE run_id = $1) AND ${partitionAttached('$2')} AS marker,
            (SELECT count(*)::int FROM run_extract WHERE run_id = $1) AS resources,
            (SELECT count(*)::int FROM run_extract WHERE run_id = $1 AND NOT done) AS unread`,
    [runId, stagingPartitionName(runId)],
  );
  return rows[0];
}

/**
 * Marks the run's staging as lost, so that its next extract starts over: used when a check finds
 * staging that no longer matches what was read although the marker survived (e.g. rows deleted).
 */
export async function forgetStaging(db: Sql, runId: string): Promise<void> {
  await db.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);
}
