/**
 * create | update | unchanged of one mapped record, given its existing datacard `d` (or none),
 * this task's sighting `sg` of the card (or none: it also holds the task cache, the hash the task
 * last pushed and when), its hash, its source id, its resource kind, whether its mapping
 * reactivates, and the cache's clear boundary. The one definition of the decision: extract decides
 * each page with it as it stages it (PAGE_DECISION, per-record lookups; an unchanged record is
 * final there: only its id is kept), diff decides what extract could not (decisionUpdate),
 * preview shows it.
 *
 * Unchanged needs the sighting to name this source id: an unchanged record writes nothing, so a
 * record the source now lists under another id is pushed once to move its sighting (removal and
 * member resolution go by the sighting's source id). The cached hash counts for the kind that
 * pushed it only (a cache cleared sets it NULL).
 */
export function decisionSql(hash: string, reactivates: string, boundary: string, sourceId: string, kind: string): string {
  return `CASE WHEN d.id IS NULL THEN 'create'
               -- a removed record that reappears is pushed again when its mapping reactivates
               WHEN d.status = 'removed' AND ${reactivates} THEN 'update'
               WHEN sg.hash = ${hash} AND sg.pushed_at >= ${boundary} AND sg.source_id = ${sourceId} AND sg.kind = ${kind} THEN 'unchanged'
               ELSE 'update' END`;
}

/** The joins decisionSql reads (`d`, `sg`), for a record row aliased `u` with column `unique_value`. */
export function decisionJoins(template: string, taskId: string, row = 'u'): string {
  return `LEFT JOIN datacard d ON d.template_code = ${template} AND d.unique_value = ${row}.unique_value
          LEFT JOIN datacard_sighting sg ON sg.datacard_id = d.id AND sg.task_id = ${taskId}`;
}

/**
 * The decision of records of a page as extract stages it: $1 their indexes, $2 source ids, $3
 * unique values, $4 hashes; $5 the template, $6 the cache's clear boundary, $7 whether the mapping
 * reactivates, $8 the task, $9 the resource kind. Run with pagePlanSettings (staging-plans.ts).
 *
 * A page is a few hundred records: each looks up its card, then the task's sighting of it (with the
 * cache entry) by their full keys (at most one row each: unique constraint and primary key). The lookups are LATERAL
 * subqueries the planner cannot flatten (LIMIT 1), so it cannot trade them for a join: with
 * statistics taken while the template held a few hundred cards (a new task; autovacuum not there
 * yet) it materialised the whole template and compared every page record with every card, 0.7 s
 * a page at 20k cards (the 20k run after 20 smaller ones in bench/workers.ts, 17-33 s instead of 4).
 */
export const PAGE_DECISION = `SELECT u.i, ${decisionSql('u.hash', '$7::boolean', '$6::timestamptz', 'u.source_id', '$9::text')} AS decision
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS u(i, source_id, unique_value, hash)
       LEFT JOIN LATERAL (SELECT d.id, d.status FROM datacard d WHERE d.template_code = $5::text AND d.unique_value = u.unique_value LIMIT 1) d ON true
       LEFT JOIN LATERAL (SELECT sg.source_id, sg.kind, sg.hash, sg.pushed_at FROM datacard_sighting sg WHERE sg.datacard_id = d.id AND sg.task_id = $8::uuid LIMIT 1) sg ON true`;

/**
 * Rows diff may (re)decide: mapped and not yet loaded, so a repeated diff changes nothing that was
 * applied. Records extract found unchanged are final (only their ids are staged, marked loaded).
 */
const OPEN = `s.decision IN ('mapped','create','update') AND NOT s.loaded`;
/** Only what extract could not decide (the map step's records). */
const UNDECIDED = `s.decision = 'mapped' AND NOT s.loaded`;
/** Rows that take part in the duplicate check: every record with a unique value, unchanged ones too. */
const WITH_UNIQUE = `s.decision IN ('mapped','create','update','unchanged') AND (NOT s.loaded OR s.decision = 'unchanged')`;

/** The staged rows (alias `s`) diff decides: every open one when `stale`, else those extract could not decide. */
export function toDecide(stale: boolean): string {
  return stale ? OPEN : UNDECIDED;
}

/**
 * The duplicate check ($1 run id, $2 run row id): one datacard per (template, unique value), so
 * later duplicates in source-id order fail alone. A hash aggregate finds the (rare) repeated
 * values; only their rows are ranked, and the ranking is materialised with the failing rows alone,
 * so no plan can compute it again per staged row. Run without nested loops (staging-plans.ts).
 * One statement writes staging_record (the failing rows), run_record (their outcomes) and
 * run.stats.failed: the outcomes and the count come from the update's RETURNING, so they match
 * it exactly without reading the failed rows again. It lives with staging, the table it decides.
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
       SELECT s.resource, s.source_id, ${decisionSql('s.hash', 'k.reactivates', '$4', 's.source_id', 's.resource')} AS decision
         FROM staging_record s
         JOIN unnest($2::text[], $3::text[], $6::boolean[]) AS k(resource, template_code, reactivates) ON k.resource = s.resource
         ${decisionJoins('k.template_code', '$5::uuid', 's')}
        WHERE s.run_id = $1 AND ${toDecide(stale)}) x
    WHERE s.run_id = $1 AND s.resource = x.resource AND s.source_id = x.source_id AND s.decision IS DISTINCT FROM x.decision`;
}
