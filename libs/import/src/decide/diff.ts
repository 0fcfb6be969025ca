import { clearBoundary } from '@app/mapping';
import type { DiffResult } from '@app/temporal';
import { refreshStagingStatistics, StagingRepository, withoutNestedLoops, type Db, type RunRepository } from '@app/persistence';
import { currentActivity } from '../infrastructure/activity-context';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { preparedRun } from '../run-config/prepared-run';
import { reactivationOf, sectionFor } from '../run-config/task-config';

export interface DiffDeps {
  db: Db;
  runs: RunRepository;
  now?: () => Date;
}

/**
 * The diff step: fails every record whose unique value an earlier source id of the run already
 * has (one datacard per template and unique value; the first source id wins), and decides
 * create / update / unchanged for what extract did not decide on the way in (the records the map
 * step mapped), set-based against the target store and the task cache. Only when a cache-clear
 * boundary passed since the run started does it decide extract's records again: a cache entry
 * counts only when pushed after the latest boundary. A removed datacard that reappears is an
 * update when its mapping reactivates (see load).
 */
export async function diffRun(deps: DiffDeps, runId: string): Promise<DiffResult> {
  const { db, runs } = deps;
  const staging = new StagingRepository(db, runs);
  const run = await preparedRun(runs, runId);
  const activity = currentActivity();
  await runs.enterPhase(runId, 'diff');
  await assertStagingIntact(db, runId, 'diff');
  const extracted = await staging.extractedResources(runId);
  const kinds = extracted.map((r) => r.resource);
  const templateCodes = kinds.map((k) => sectionFor(run.snapshot.config, k).templateCode);
  const reactivates = kinds.map((k) => reactivationOf(sectionFor(run.snapshot.config, k)) !== undefined);
  const boundary = clearBoundary((deps.now ?? (() => new Date()))(), run.snapshot.config.cache?.clearHoursUtc ?? [0]);
  // Extract decided every record it mapped, against the boundary of its own start. Only when a
  // cache-clear boundary passed since the run started can those decisions be stale; otherwise
  // diff decides just what extract could not map (the map step's records). Create and update
  // need no second look: the upsert tells them apart, and unchanged records are final.
  const stale = boundary.getTime() > run.startedAt.getTime();
  await refreshStagingStatistics(db, activity, extracted.reduce((n, r) => n + Number(r.fetched), 0), runId);
  // usually nothing is left to decide: one look at the run's rows spares the decision's joins
  const open = await staging.hasRecordsToDecide(runId, stale);

  await db.transaction(async (tx) => {
    // decisions over a lost staging would decide nothing; a crash during this transaction aborts it
    await assertStagingIntact(tx, runId, 'diff');
    await withoutNestedLoops(tx);
    await staging.failDuplicates({ runId, rowId: run.rowId }, tx);
    if (open) await staging.decideRemaining({ runId, taskId: run.taskId, kinds, templateCodes, reactivates, pushedSince: boundary, stale }, tx);
  }, activity);

  const counts = await staging.decisionCounts(runId, activity);
  const count = (d: string) => counts.get(d) ?? 0;
  // what load will write, kept once so the progress of load never counts staging
  await runs.recordLoadPlan(runId, count('create') + count('update'));
  return { create: count('create'), update: count('update'), unchanged: count('unchanged'), failed: count('failed'), stats: await runs.stats(runId) };
}
