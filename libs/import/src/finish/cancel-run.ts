import type { RunStatsView } from '@app/temporal';
import type { RunRepository } from '@app/persistence';

/**
 * Marks a run cancelled. Committed load and removal batches stay (each is whole); staging is
 * kept so the run can be resumed from the step it was cancelled in, until the resume window
 * passes (sweepStaging). Removals not yet applied (waiting for a decision, or
 * mid-way) are dropped; the removal state says how many were applied.
 */
export async function cancelRun(runs: RunRepository, runId: string): Promise<RunStatsView> {
  const stats = await runs.recomputeStats(runId);
  await runs.cancel(runId);
  return stats;
}
