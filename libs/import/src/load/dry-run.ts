import type { LoadResult, ResourceKind } from '@app/temporal';
import type { Db } from '@app/persistence';
import { ImportConfigError } from '../errors/import-errors';
import type { RunRepository } from '@app/persistence';
import { assertStagingIntact } from '@app/persistence';
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
  const run = await runs.get(runId);
  if (!run.dryRun) throw new ImportConfigError(`run ${runId} is not a dry run; its records are loaded, not only recorded`);
  await runs.enterPhase(runId, 'load');
  const kinds = (await db.query<{ resource: ResourceKind }>(`SELECT resource FROM run_extract WHERE run_id = $1 ORDER BY resource`, [runId])).rows.map((r) => r.resource);
  const templates = kinds.map((k) => sectionFor(run.snapshot.config, k).templateCode);
  await assertStagingIntact(db, runId, 'load');
  const counts = await db.transaction(async (tx) => {
    // outcomes recorded from a staging that crash recovery emptied would say less than was read
    await assertStagingIntact(tx, runId, 'load');
    await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome IN ('created', 'updated', 'unchanged')`, [run.rowId]);
    const { rows } = await tx.query<{ outcome: 'created' | 'updated'; n: string }>(
      `WITH rec AS (
         INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome)
         SELECT $2, s.resource, s.source_id, s.unique_value, d.id,
                CASE s.decision WHEN 'create' THEN 'created' ELSE 'updated' END
           FROM staging_record s
           JOIN unnest($3::text[], $4::text[]) AS k(resource, template_code) ON k.resource = s.resource
           LEFT JOIN datacard d ON d.template_code = k.template_code AND d.unique_value = s.unique_value
          WHERE s.run_id = $1 AND s.decision IN ('create', 'update')
          ORDER BY s.resource, s.source_id
         RETURNING outcome)
       SELECT outcome, count(*) AS n FROM rec GROUP BY outcome`,
      [runId, run.rowId, kinds, templates],
    );
    const n = (o: string) => Number(rows.find((r) => r.outcome === o)?.n ?? 0);
    return { created: n('created'), updated: n('updated'), unchanged: await runs.countUnchanged(runId) };
  });
  await runs.setStats(runId, counts);
  return { batches: 0, ...counts, stats: await runs.stats(runId) };
}
