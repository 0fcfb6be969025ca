/**
 * create | update | unchanged of one mapped record, given its existing datacard `d` (or none),
 * its task-cache entry `c` (or none), this task's sighting `sg` of the card (or none), its hash,
 * its source id, whether its mapping reactivates, and the cache's clear boundary. The one
 * definition of the decision: extract decides each page with it (its own per-record lookups) (an unchanged record is final
 * there: only its id is kept), diff decides the rest again, preview shows it.
 *
 * Unchanged needs the sighting to name this source id: an unchanged record writes nothing, so a
 * record the source now lists under another id is pushed once to move its sighting (removal and
 * member resolution go by the sighting's source id).
 */
export function decisionSql(hash: string, reactivates: string, boundary: string, sourceId: string): string {
  return `CASE WHEN d.id IS NULL THEN 'create'
               -- a removed record that reappears is pushed again when its mapping reactivates
               WHEN d.status = 'removed' AND ${reactivates} THEN 'update'
               WHEN c.hash = ${hash} AND c.pushed_at >= ${boundary} AND sg.source_id = ${sourceId} THEN 'unchanged'
               ELSE 'update' END`;
}

/** The joins decisionSql reads (`d`, `c`, `sg`), for a record row aliased `u` with column `unique_value`. */
export function decisionJoins(template: string, taskId: string, kind: string, row = 'u'): string {
  return `LEFT JOIN datacard d ON d.template_code = ${template} AND d.unique_value = ${row}.unique_value
          LEFT JOIN task_cache c ON c.task_id = ${taskId} AND c.kind = ${kind} AND c.unique_value = ${row}.unique_value
          LEFT JOIN datacard_sighting sg ON sg.datacard_id = d.id AND sg.task_id = ${taskId}`;
}
