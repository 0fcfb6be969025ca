import { clearBoundary } from '@app/mapping';
import type { DiffResult, ResourceKind } from '@app/temporal';
import { currentActivity } from '../infrastructure/activity-context';
import type { Db } from '@app/persistence';
import { decisionJoins, decisionSql } from '@app/persistence';
import type { RunRepository } from '@app/persistence';
import { assertStagingIntact } from '@app/persistence';
import { refreshStagingStatistics, withoutNestedLoops } from '@app/persistence';
import { reactivationOf, sectionFor } from '../run-config/task-config';

export interface DiffDeps {
  db: Db;
  runs: RunRepository;
  now?: () => Date;
}

/**
 * Rows diff may (re)decide: mapped and not yet loaded, so a repeated diff changes nothing that was
 * applied. Records extract found unchanged are final (only their ids are staged, marked loaded).
 */
const OPEN = `s.decision IN ('mapped','create','update') AND NOT s.loaded`;
/** Only what extract could not decide (the map step's records). */
const UNDECIDED = `s.decision = 'mapped' AND NOT s.loaded`;
/** Rows that take part in the duplicate check: every record with a unique value, unchanged ones too. */
const WITH_UNIQUE = `s.decision IN ('mapped','create','update','unchanged') AND (NOT s.loaded OR s.decision = 'unchanged')`;

/**
 * The duplicate check ($1 run id, $2 run row id): one datacard per (template, unique value), so
 * later duplicates in source-id order fail alone. A hash aggregate finds the (rare) repeated
 * values; only their rows are ranked, and the ranking is materialised with the failing rows alone,
 * so no plan can compute it again per staged row. Run without nested loops (staging-plans.ts).
 */
export const DUPLICATE_CHECK = `WITH repeated AS MATERIALIZED (
     SELECT s.resource, s.unique_value FROM staging_record s WHERE s.run_id = $1 AND ${WITH_UNIQUE}
      GROUP BY s.resource, s.unique_value HAVING count(*) > 1),
   ranked AS MATERIALIZED (
     SELECT r.resource, r.source_id, r.unique_value, r.first_id FROM (
       SELECT s.resource, s.source_id, s.unique_value,
              row_number() OVER w AS rn, first_value(s.source_id) OVER w AS first_id
         FROM staging_record s JOIN repeated k ON k.resource = s.resource AND k.unique_value = s.unique_value
        WHERE s.run_id = $1 AND ${WITH_UNIQUE}
       WINDOW w AS (PARTITION BY s.resource, s.unique_value ORDER BY s.source_id)) r
      WHERE r.rn > 1),
   dup AS (
     UPDATE staging_record s SET decision = 'failed',
            message = 'duplicate unique value ' || r.unique_value || ' (also source id ' || r.first_id || ')'
       FROM ranked r
      WHERE s.run_id = $1 AND s.resource = r.resource AND s.source_id = r.source_id
      RETURNING s.resource, s.source_id, s.message),
   rec AS (
     INSERT INTO run_record (run_id, kind, source_id, outcome, message)
     SELECT $2, resource, source_id, 'failed', message FROM dup RETURNING 1)
   UPDATE run SET stats = jsonb_set(stats, '{failed}', to_jsonb(COALESCE((stats->>'failed')::int, 0) + (SELECT count(*) FROM rec)::int))
    WHERE id = $2`;

/**
 * The decision of the rows still to decide ($1 run id, $2 kinds, $3 their templates, $4 the cache
 * boundary, $5 task id, $6 whether each kind reactivates), run without nested loops: it joins the
 * run's rows with themselves and with whole tables (staging-plans.ts). A record that became unchanged meanwhile has
 * nothing to write: it is final like extract's.
 */
export function decisionUpdate(stale: boolean): string {
  return `UPDATE staging_record s SET decision = x.decision, loaded = (x.decision = 'unchanged')
     FROM (
       SELECT s.resource, s.source_id, ${decisionSql('s.hash', 'k.reactivates', '$4', 's.source_id')} AS decision
         FROM staging_record s
         JOIN unnest($2::text[], $3::text[], $6::boolean[]) AS k(resource, template_code, reactivates) ON k.resource = s.resource
         ${decisionJoins('k.template_code', '$5::uuid', 's.resource', 's')}
        WHERE s.run_id = $1 AND ${stale ? OPEN : UNDECIDED}) x
    WHERE s.run_id = $1 AND s.resource = x.resource AND s.source_id = x.source_id AND s.decision IS DISTINCT FROM x.decision`;
}

/**
 * Decides create / update / unchanged for every mapped record, set-based against the target
 * store and the task cache. A cache entry counts only when pushed after the latest clear
 * boundary; a record whose unique value repeats within the run fails (the first source id wins).
 * A removed datacard that reappears is an update when its mapping reactivates (see load).
 */
export async function diffRun(deps: DiffDeps, runId: string): Promise<DiffResult> {
  const { db, runs } = deps;
  const run = await runs.get(runId);
  const activity = currentActivity();
  await runs.enterPhase(runId, 'diff');
  await assertStagingIntact(db, runId, 'diff');
  const extracted = (await db.query<{ resource: ResourceKind; fetched: number }>(`SELECT resource, fetched FROM run_extract WHERE run_id = $1 ORDER BY resource`, [runId])).rows;
  const kinds = extracted.map((r) => r.resource);
  const templates = kinds.map((k) => sectionFor(run.snapshot.config, k).templateCode);
  const reactivates = kinds.map((k) => reactivationOf(sectionFor(run.snapshot.config, k)) !== undefined);
  const boundary = clearBoundary((deps.now ?? (() => new Date()))(), run.snapshot.config.cache?.clearHoursUtc ?? [0]);
  // Extract decided every record it mapped, against the boundary of its own start. Only when a
  // cache-clear boundary passed since the run started can those decisions be stale; otherwise
  // diff decides just what extract could not map (the map step's records). Create and update
  // need no second look: the upsert tells them apart, and unchanged records are final.
  const stale = boundary.getTime() > run.startedAt.getTime();
  await refreshStagingStatistics(db, activity, extracted.reduce((n, r) => n + Number(r.fetched), 0));
  // usually nothing is left to decide: one look at the run's rows spares the decision's joins
  const { rows: open } = await db.query(`SELECT 1 FROM staging_record s WHERE s.run_id = $1 AND ${stale ? OPEN : UNDECIDED} LIMIT 1`, [runId]);

  await db.transaction(async (tx) => {
    // decisions over a lost staging would decide nothing; a crash during this transaction aborts it
    await assertStagingIntact(tx, runId, 'diff');
    await withoutNestedLoops(tx);
    await tx.query(DUPLICATE_CHECK, [runId, run.rowId]);
    if (open.length > 0) await tx.query(decisionUpdate(stale), [runId, kinds, templates, boundary, run.taskId, reactivates]);
  }, activity);

  const { rows } = await db.longQuery<{ decision: string; n: string }>(
    activity,
    `SELECT decision, count(*) AS n FROM staging_record WHERE run_id = $1 GROUP BY decision`,
    [runId],
  );
  const count = (d: string) => Number(rows.find((r) => r.decision === d)?.n ?? 0);
  return { create: count('create'), update: count('update'), unchanged: count('unchanged'), failed: count('failed'), stats: await runs.stats(runId) };
}
