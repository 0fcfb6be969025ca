import { stagingState, type Sql } from '@app/persistence';
import { StagingLostError } from '../errors/import-errors';

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
  const r = await stagingState(db, runId);
  if (!r.marker) {
    throw new StagingLostError(`${step}: the records this run read are no longer staged (PostgreSQL crash recovery or a restore empties staging); the run reads its source again`);
  }
  if (r.resources === 0 || r.unread > 0) {
    throw new StagingLostError(`${step}: the run's read is not complete (${r.unread} of ${r.resources} resources not read to the end); the run reads its source again`);
  }
}
