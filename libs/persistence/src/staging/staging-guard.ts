import type { Sql } from '../db';
import { StagingLostError } from '../../../import/src/errors/import-errors';

/** How the steps after extract name themselves in a StagingLostError. */
export type StagingStep = 'map' | 'diff' | 'load' | 'reconcile' | 'finish';

/**
 * Throws StagingLostError unless the run's staging is still the one its extracts filled: every
 * resource read to the end, and the run's staging marker still there (PostgreSQL empties the
 * UNLOGGED staging and marker together in crash recovery). Cheap (primary-key probes): the steps
 * call it when they start and before they report success, and inside the transactions whose
 * result would be wrong on a lost staging (a crash during such a transaction aborts it).
 */
export async function assertStagingIntact(db: Sql, runId: string, step: StagingStep): Promise<void> {
  const { rows } = await db.query<{ marker: boolean; resources: number; unread: number }>(
    `SELECT EXISTS (SELECT 1 FROM staging_marker WHERE run_id = $1) AS marker,
            (SELECT count(*)::int FROM run_extract WHERE run_id = $1) AS resources,
            (SELECT count(*)::int FROM run_extract WHERE run_id = $1 AND NOT done) AS unread`,
    [runId],
  );
  const r = rows[0];
  if (!r.marker) {
    throw new StagingLostError(`${step}: the records this run read are no longer staged (PostgreSQL crash recovery or a restore empties staging); the run reads its source again`);
  }
  if (r.resources === 0 || r.unread > 0) {
    throw new StagingLostError(`${step}: the run's read is not complete (${r.unread} of ${r.resources} resources not read to the end); the run reads its source again`);
  }
}

/**
 * Marks the run's staging as lost, so that its next extract starts over: used when a check finds
 * staging that no longer matches what was read although the marker survived (e.g. rows deleted).
 */
export async function forgetStaging(db: Sql, runId: string): Promise<void> {
  await db.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);
}
