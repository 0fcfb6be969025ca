import type { RunStatsView } from '@app/temporal';
import type { Db } from './db';
import type { RunRepository } from './run-repository';

/**
 * Marks a run cancelled. Committed load batches stay (each is whole); staging is kept so the
 * run can still be inspected or resumed.
 */
export async function cancelRun(db: Db, runs: RunRepository, runId: string): Promise<RunStatsView> {
  const stats = await runs.recomputeStats(runId);
  await db.query(
    `UPDATE run SET status = 'cancelled', phase = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'running'`,
    [runId],
  );
  return stats;
}
