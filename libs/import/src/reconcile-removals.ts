import type { ReconcileResult } from '@app/temporal';
import type { Db } from './db';
import type { RunRepository } from './run-repository';

/**
 * Removal reconciliation seam (issue 6 implements the marking). It already refuses to act on
 * an incomplete read, and records on the run why nothing was removed.
 */
export async function reconcileRemovals(db: Db, runs: RunRepository, runId: string): Promise<ReconcileResult> {
  const run = await runs.get(runId);
  await runs.enterPhase(runId, 'reconcile');
  let result: ReconcileResult;
  if (run.mode !== 'full') {
    result = { skipped: true, reason: 'incremental runs never remove' };
  } else {
    const { rows } = await db.query<{ resource: string; done: boolean; complete: boolean | null }>(
      `SELECT resource, done, (report->>'complete')::boolean AS complete FROM run_extract WHERE run_id = $1`,
      [runId],
    );
    const incomplete = rows.filter((r) => !r.done || r.complete !== true).map((r) => r.resource);
    result = incomplete.length > 0
      ? { skipped: true, reason: `the read of ${incomplete.join(', ')} was not proven complete` }
      : { skipped: true, reason: 'not implemented' };
  }
  await db.query(`UPDATE run SET removal = $2::jsonb WHERE id = $1`, [runId, JSON.stringify(result)]);
  return { ...result, stats: await runs.stats(runId) };
}
