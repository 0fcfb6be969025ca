/**
 * create | update | unchanged of one mapped record, given its existing datacard `d` (or none),
 * its task-cache entry `c` (or none), its hash, whether its mapping reactivates, and the cache's
 * clear boundary. The one definition of the decision: diff decides with it, and extract with it
 * pre-decides each page so that diff rewrites only what changed in between.
 */
export function decisionSql(hash: string, reactivates: string, boundary: string): string {
  return `CASE WHEN d.id IS NULL THEN 'create'
               -- a removed record that reappears is pushed again when its mapping reactivates
               WHEN d.status = 'removed' AND ${reactivates} THEN 'update'
               WHEN c.hash = ${hash} AND c.pushed_at >= ${boundary} THEN 'unchanged'
               ELSE 'update' END`;
}
