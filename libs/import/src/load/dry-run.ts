import type { LoadResult } from '@app/temporal';
import { StagingRepository, type Db, type RunRepository } from '@app/persistence';
import { ImportConfigError } from '../errors/import-errors';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { preparedRun } from '../run-config/prepared-run';
import { sectionFor } from '../run-config/task-config';

export interface DryRunDeps {
  db: Db;
  runs: RunRepository;
}

/**
 * The load step of a dry run: records what load would do (created / updated per diffed record,
 * with the datacard it would touch) as the run's per-record outcomes, and counts unchanged ones
 * (which, as in a real run, get no outcome row),
 * and writes nothing to the target store, the task cache or the sightings. Repeatable: a retry
 * replaces the outcomes it recorded before.
 */
export async function recordDryRunOutcomes(deps: DryRunDeps, runId: string): Promise<LoadResult> {
  const { db, runs } = deps;
  const run = await preparedRun(runs, runId);
  if (!run.dryRun) throw new ImportConfigError(`run ${runId} is not a dry run; its records are loaded, not only recorded`);
  await runs.enterPhase(runId, 'load');
  const kinds = (await new StagingRepository(db, runs).extractedResources(runId)).map((r) => r.resource);
  const templateCodes = kinds.map((k) => sectionFor(run.snapshot.config, k).templateCode);
  await assertStagingIntact(db, runId, 'load');
  const counts = await db.transaction(async (tx) => {
    // outcomes recorded from a staging that crash recovery emptied would say less than was read
    await assertStagingIntact(tx, runId, 'load');
    await runs.clearLoadOutcomes(run.rowId, tx);
    const { created, updated } = await runs.recordDryRunOutcomes({ runId, rowId: run.rowId, kinds, templateCodes }, tx);
    return { created, updated, unchanged: await runs.countUnchanged(runId) };
  });
  await runs.setStats(runId, counts);
  return { batches: 0, ...counts, stats: await runs.stats(runId) };
}
