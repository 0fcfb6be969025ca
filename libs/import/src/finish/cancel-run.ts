import type { RunStatsView } from '@app/temporal';
import type { Db } from '@app/persistence';
import type { RunRepository } from '@app/persistence';

/**
 * Marks a run cancelled. Committed load and removal batches stay (each is whole); staging is
 * kept so the run can be resumed from the step it was cancelled in, until the resume window
 * passes (sweepStaging). Removals not yet applied (waiting for a decision, or
 * mid-way) are dropped; the removal state says how many were applied.
 */
export async function cancelRun(db: Db, runs: RunRepository, runId: string): Promise<RunStatsView> {
  const rowId = await runs.rowOf(runId);
  const stats = await runs.recomputeStats(runId);
  await db.query(
    `UPDATE run SET status = 'cancelled', phase = 'cancelled', finished_at = now(),
            removal = CASE WHEN removal->>'state' IN ('awaitingApproval', 'applying')
                           THEN removal || jsonb_build_object('state', 'cancelled', 'reason', 'the run was cancelled before its removals were applied',
                                                              'removed', (SELECT count(*) FROM removal_candidate c WHERE c.run_id = $2 AND c.applied))
                           ELSE removal END
      WHERE id = $1 AND status = 'running'`,
    [rowId, runId],
  );
  return stats;
}
