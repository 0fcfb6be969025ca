import type { LoadResult, ResourceKind } from '@app/temporal';
import { currentActivity } from './activity-context';
import type { Db, Sql } from './db';
import type { RunRepository } from './run-repository';
import { KIND_LOAD_ORDER, reactivationOf, sectionFor, type MappingSectionConfig } from './task-config';
import type { TemplateRepository } from './template-repository';

export interface LoadDeps {
  db: Db;
  runs: RunRepository;
  templates: TemplateRepository;
  batchSize: number;
  batchPauseMs: number;
}

interface BatchTarget {
  runId: string;
  /** the run row that shows the run (RunRepository.rowOf): per-record outcomes and counts go there */
  rowId: string;
  taskId: string;
  kind: ResourceKind;
  section: MappingSectionConfig;
  /** the reference attribute that holds a group's members, when memberships are mapped */
  membersLocal?: string;
  /** status attribute of a removed record: kept as removed unless the mapping reactivates */
  statusAttribute: string | null;
  /** value the status attribute gets when a removed record reappears (removal.reactivateValue) */
  reactivateValue: string | null;
}

interface BatchCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Rows of the batch, by primary key; every statement of a batch selects them the same way. */
const IN_BATCH = `s.run_id = $1 AND s.resource = $2 AND s.source_id = ANY($3::text[])`;
const PUSHED = `s.decision IN ('create','update')`;
/** How often (in batches) the target tables' statistics are refreshed during a load. */
const ANALYZE_EVERY_BATCHES = 20;

/**
 * Writes the diffed records into the target store in batches, each batch in one transaction:
 * datacards, memberships, task cache, sightings and per-record outcomes, then the batch's
 * staging rows are flagged loaded. A retried load skips committed batches; unchanged records
 * cause no write to datacards or the cache. A removed datacard that reappears keeps its removed
 * status attribute, unless the mapping has `removal.reactivateValue`: then it gets that value
 * and status active again.
 */
export async function loadRun(deps: LoadDeps, runId: string): Promise<LoadResult> {
  const { db, runs } = deps;
  const activity = currentActivity();
  const run = await runs.get(runId);
  await runs.enterPhase(runId, 'load');
  // staging was just filled (or rewritten): without fresh statistics the planner picks nested loops over it
  await db.query('ANALYZE staging_record');
  const present = new Set((await db.query<{ resource: ResourceKind }>(`SELECT DISTINCT resource FROM staging_record WHERE run_id = $1`, [runId])).rows.map((r) => r.resource));

  const totals = { batches: 0, created: 0, updated: 0, unchanged: 0 };
  // accounts first: group members resolve through the sightings their load writes
  for (const kind of KIND_LOAD_ORDER.filter((k) => present.has(k))) {
    const section = sectionFor(run.snapshot.config, kind);
    await deps.templates.assertFolder(section.folderCode, section.templateCode);
    const reactivation = reactivationOf(section);
    const target: BatchTarget = {
      runId,
      rowId: run.rowId,
      taskId: run.taskId,
      kind,
      section,
      membersLocal: kind === 'access' ? section.members?.local : undefined,
      statusAttribute: section.removal?.statusAttribute ?? null,
      reactivateValue: reactivation?.value ?? null,
    };
    // keyset over the primary key: skipping the loaded prefix from the start every batch is quadratic
    let after = '';
    for (;;) {
      activity.throwIfCancelled();
      const { rows } = await db.query<{ source_id: string }>(
        `SELECT source_id FROM staging_record
          WHERE run_id = $1 AND resource = $2 AND source_id > $4 AND decision IN ('create','update','unchanged') AND NOT loaded
          ORDER BY source_id LIMIT $3`,
        [runId, kind, deps.batchSize, after],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].source_id;
      const counts = await db.transaction((tx) => applyBatch(tx, target, rows.map((r) => r.source_id)));
      totals.batches += 1;
      totals.created += counts.created;
      totals.updated += counts.updated;
      totals.unchanged += counts.unchanged;
      activity.heartbeat({ resource: kind, batches: totals.batches });
      // a first run grows the target tables from empty: refresh the planner's view now and then,
      // or it keeps planning for empty tables and each batch gets slower than the last
      if (totals.batches % ANALYZE_EVERY_BATCHES === 0) await db.query('ANALYZE datacard, datacard_link, datacard_sighting');
      if (deps.batchPauseMs > 0) await new Promise((r) => setTimeout(r, deps.batchPauseMs));
    }
    // the next kind's member lookups probe what this one just wrote; stale statistics (an empty table
    // at the start of a first run) make the planner scan sightings once per member
    await db.query('ANALYZE datacard_sighting, datacard, datacard_link');
  }
  return { ...totals, stats: await runs.stats(runId) };
}

async function applyBatch(tx: Sql, t: BatchTarget, sourceIds: string[]): Promise<BatchCounts> {
  const base = [t.runId, t.kind, sourceIds];
  const { templateCode, folderCode } = t.section;

  if (t.membersLocal) {
    // members -> account datacards this task has sighted (this run's accounts were loaded first)
    await tx.query(
      `UPDATE staging_record s SET mapped = s.mapped || jsonb_build_object($4::text, r.ids),
              message = CASE WHEN r.missing > 0 THEN 'members without an account of this task: ' || r.missing_ids ELSE NULL END
         FROM (
           SELECT s.source_id,
                  COALESCE(jsonb_agg(DISTINCT sg.datacard_id) FILTER (WHERE sg.datacard_id IS NOT NULL), '[]'::jsonb) AS ids,
                  count(*) FILTER (WHERE m.member_id IS NOT NULL AND sg.datacard_id IS NULL) AS missing,
                  left(string_agg(m.member_id, ', ' ORDER BY m.member_id) FILTER (WHERE sg.datacard_id IS NULL), 500) AS missing_ids
             FROM staging_record s
             LEFT JOIN LATERAL jsonb_array_elements_text(COALESCE(s.members, '[]'::jsonb)) AS m(member_id) ON true
             LEFT JOIN datacard_sighting sg ON sg.task_id = $5 AND sg.kind = 'identity' AND sg.source_id = m.member_id
            WHERE ${IN_BATCH} AND ${PUSHED}
            GROUP BY s.source_id) r
        -- join on the key only: repeating the batch's ANY() here makes every probe scan the whole array
        WHERE s.run_id = $1 AND s.resource = $2 AND s.source_id = r.source_id`,
      [...base, t.membersLocal, t.taskId],
    );
  }

  // every sub-statement sees the snapshot before the upsert, so batch.was_removed is the old status
  const pushed = await tx.query<{ outcome: 'created' | 'updated' }>(
    `WITH batch AS MATERIALIZED (
       SELECT s.source_id, s.unique_value, s.mapped, s.message, (d0.status = 'removed') AS was_removed
         FROM staging_record s LEFT JOIN datacard d0 ON d0.template_code = $4 AND d0.unique_value = s.unique_value
        WHERE ${IN_BATCH} AND ${PUSHED}),
     up AS (
       INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
       SELECT $4, $5, b.unique_value, b.mapped, $6, 'active' FROM batch b
       ON CONFLICT (template_code, unique_value) DO UPDATE
         SET attributes = CASE
               WHEN datacard.status <> 'removed' OR $7::text IS NULL THEN datacard.attributes || EXCLUDED.attributes
               WHEN $8::text IS NOT NULL THEN datacard.attributes || EXCLUDED.attributes || jsonb_build_object($7::text, $8::text)
               ELSE datacard.attributes || (EXCLUDED.attributes - $7::text) END,
             status = CASE WHEN datacard.status = 'removed' AND $8::text IS NOT NULL THEN 'active' ELSE datacard.status END,
             folder_code = EXCLUDED.folder_code, task_id = EXCLUDED.task_id, updated_at = now()
       RETURNING id, unique_value, (xmax = 0) AS inserted)
     INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
     SELECT $9, $2, b.source_id, b.unique_value, up.id, CASE WHEN up.inserted THEN 'created' ELSE 'updated' END,
            CASE WHEN b.was_removed AND $8::text IS NOT NULL THEN concat_ws('; ', 'reactivated', b.message) ELSE b.message END
       FROM up JOIN batch b ON b.unique_value = up.unique_value
     RETURNING outcome`,
    [...base, templateCode, folderCode, t.taskId, t.statusAttribute, t.reactivateValue, t.rowId],
  );

  if (t.membersLocal) {
    // memberships as links too, changed in place so unchanged members are not rewritten
    await tx.query(
      `WITH groups AS MATERIALIZED (
         SELECT d.id, COALESCE(s.mapped->($5::text), '[]'::jsonb) AS members FROM staging_record s
           JOIN datacard d ON d.template_code = $4 AND d.unique_value = s.unique_value
          -- a created card has no links yet: only updated groups can have members to drop
          WHERE ${IN_BATCH} AND s.decision = 'update')
       DELETE FROM datacard_link l USING groups g
        WHERE l.datacard_id = g.id AND l.attribute_code = $5::text AND NOT (g.members ? l.target_id::text)`,
      [...base, templateCode, t.membersLocal],
    );
    await tx.query(
      `INSERT INTO datacard_link (datacard_id, attribute_code, target_id)
       SELECT d.id, $5::text, e.value::uuid FROM staging_record s
         JOIN datacard d ON d.template_code = $4 AND d.unique_value = s.unique_value
         CROSS JOIN LATERAL jsonb_array_elements_text(COALESCE(s.mapped->($5::text), '[]'::jsonb)) AS e(value)
        WHERE ${IN_BATCH} AND ${PUSHED}
       ON CONFLICT DO NOTHING`,
      [...base, templateCode, t.membersLocal],
    );
  }

  // a group pushed with unresolved members is cached as partial so the next run pushes it again
  await tx.query(
    `INSERT INTO task_cache (task_id, kind, unique_value, hash, pushed_at)
     SELECT $4, $2, s.unique_value, CASE WHEN s.message IS NULL THEN s.hash ELSE s.hash || ':partial' END, now()
       FROM staging_record s WHERE ${IN_BATCH} AND ${PUSHED}
     ON CONFLICT (task_id, kind, unique_value) DO UPDATE SET hash = EXCLUDED.hash, pushed_at = EXCLUDED.pushed_at`,
    [...base, t.taskId],
  );

  // who saw what in which run: group members resolve through it, removal (issue 6) reads it
  await tx.query(
    `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id)
     SELECT d.id, $4, $1, now(), $2, s.source_id FROM staging_record s
       JOIN datacard d ON d.template_code = $5 AND d.unique_value = s.unique_value
      WHERE ${IN_BATCH}
     ON CONFLICT (datacard_id, task_id) DO UPDATE
       SET last_run_id = EXCLUDED.last_run_id, last_seen_at = EXCLUDED.last_seen_at, kind = EXCLUDED.kind, source_id = EXCLUDED.source_id`,
    [...base, t.taskId, templateCode],
  );

  const unchanged = await tx.query(
    `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome)
     SELECT $5, $2, s.source_id, s.unique_value, d.id, 'unchanged' FROM staging_record s
       LEFT JOIN datacard d ON d.template_code = $4 AND d.unique_value = s.unique_value
      WHERE ${IN_BATCH} AND s.decision = 'unchanged'`,
    [...base, templateCode, t.rowId],
  );

  await tx.query(`UPDATE staging_record s SET loaded = true WHERE ${IN_BATCH}`, base);

  const counts: BatchCounts = {
    created: pushed.rows.filter((r) => r.outcome === 'created').length,
    updated: pushed.rows.filter((r) => r.outcome === 'updated').length,
    unchanged: unchanged.rowCount ?? 0,
  };
  await tx.query(
    `UPDATE run SET stats = stats || jsonb_build_object(
        'created', COALESCE((stats->>'created')::int, 0) + $2::int,
        'updated', COALESCE((stats->>'updated')::int, 0) + $3::int,
        'unchanged', COALESCE((stats->>'unchanged')::int, 0) + $4::int)
      WHERE id = $1`,
    [t.rowId, counts.created, counts.updated, counts.unchanged],
  );
  return counts;
}
