import type { LoadResult, ResourceKind } from '@app/temporal';
import { currentActivity } from '../infrastructure/activity-context';
import type { Db, Sql } from '@app/persistence';
import { ImportConfigError } from '../errors/import-errors';
import type { RunRepository } from '@app/persistence';
import { assertStagingIntact } from '@app/persistence';
import { withoutNestedLoops } from '@app/persistence';
import { KIND_LOAD_ORDER, reactivationOf, sectionFor, type MappingSectionConfig } from '../run-config/task-config';
import type { TemplateRepository } from '@app/persistence';
import { workerMemory } from '../infrastructure/worker-memory';

export interface LoadDeps {
  db: Db;
  runs: RunRepository;
  templates: TemplateRepository;
  batchSize: number;
  batchPauseMs: number;
  /** batches written at once, each in its own transaction */
  concurrency: number;
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
}

/** A staged row of the batch, as the batch's first statement reads it. */
interface BatchRow {
  source_id: string;
  unique_value: string;
  decision: 'create' | 'update';
  message: string | null;
}

/**
 * Rows of the batch: a key range of staging's primary key, (after, last] in source-id order,
 * narrowed to the rows the batch selected ($1 run, $2 resource, $3 after, $4 last). A range is an
 * index bound; an `= ANY(array)` of the batch's ids let the planner loop over the array per probe.
 */
const IN_RANGE = `s.run_id = $1 AND s.resource = $2 AND s.source_id > $3 AND s.source_id <= $4`;
/**
 * The rows load writes: created or updated, not yet loaded. Exactly the predicate of the partial
 * index staging_record_to_load, so a run that changed 1% walks 1% of its staging. Unchanged
 * records never get here: extract (or diff) marked them loaded, there is nothing to write.
 */
const PUSHED = `s.decision IN ('create','update') AND NOT s.loaded`;
/**
 * After a staging redo, each record's second outcome goes ($1 run row id): ranked in one pass over
 * the run's outcomes, run without nested loops (staging-plans.ts): a join of them with themselves,
 * or of the ranking with the table, read every outcome of the run again per outcome when the
 * planner misjudged their number.
 */
export const DROP_REPEATED_OUTCOMES = `DELETE FROM run_record WHERE id IN (
    SELECT x.id FROM (
      SELECT r.id, row_number() OVER (PARTITION BY r.kind, r.source_id ORDER BY r.id) AS rn
        FROM run_record r WHERE r.run_id = $1 AND r.outcome IN ('created','updated','unchanged')) x
     WHERE x.rn > 1)`;
/** Rows written to the target after which the load refreshes the target tables' statistics. */
const ANALYZE_AFTER_WRITES = 5000;

/**
 * Writes the created and updated records into the target store in batches, each batch in one
 * transaction: datacards, memberships, task cache, sightings and per-record outcomes, then the
 * batch's staging rows are flagged loaded. A retried load skips committed batches; unchanged
 * records were settled by extract and write nothing (they are only counted). A removed datacard that reappears keeps its removed
 * status attribute, unless the mapping has `removal.reactivateValue`: then it gets that value
 * and status active again.
 *
 * No statement of a batch joins staging to the target tables: each reads staging by key range,
 * or a target table by its own key, or arrays the batch built in node. Such plans stay linear in
 * the batch whatever the planner's statistics say about tables this very run is filling.
 */
export async function loadRun(deps: LoadDeps, runId: string): Promise<LoadResult> {
  const { db, runs } = deps;
  const activity = currentActivity();
  const run = await runs.get(runId);
  if (run.dryRun) throw new ImportConfigError(`run ${runId} is a dry run: it must not load`);
  await runs.enterPhase(runId, 'load');
  await assertStagingIntact(db, runId, 'load');
  // one probe of the to-load index per kind: a kind with nothing changed is not walked at all
  const present = new Set<ResourceKind>();
  for (const kind of KIND_LOAD_ORDER) {
    const { rows } = await db.query(`SELECT 1 FROM staging_record s WHERE s.run_id = $1 AND s.resource = $2 AND ${PUSHED} LIMIT 1`, [runId, kind]);
    if (rows.length > 0) present.add(kind);
  }

  const totals = { batches: 0, created: 0, updated: 0, unchanged: 0 };
  const kinds = KIND_LOAD_ORDER.filter((k) => present.has(k));
  // accounts first: group members resolve through the sightings their load writes
  for (const kind of kinds) {
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
    // keyset over the to-load index: skipping the loaded prefix from the start every batch is
    // quadratic. Up to `concurrency` batches run at once, each in its own transaction on its own
    // key range (they share no rows; only the run's counts serialise their last statement), so
    // the database writes on more than one core while node prepares the next batch.
    let after = '';
    let written = 0;
    const inFlight: Array<Promise<BatchCounts>> = [];
    const settle = async (batch: Promise<BatchCounts>) => {
      const counts = await batch;
      totals.batches += 1;
      totals.created += counts.created;
      totals.updated += counts.updated;
      written += counts.created + counts.updated;
      activity.heartbeat({ resource: kind, batches: totals.batches });
      if (deps.batchPauseMs > 0) await new Promise((r) => setTimeout(r, deps.batchPauseMs));
    };
    try {
      for (;;) {
        activity.throwIfCancelled();
        const last = await nextWindow(db, target, after, deps.batchSize);
        if (last === null) break;
        const from = after;
        // heartbeats while the batch runs; a cancelled (or timed-out) attempt cancels its statement
        // instead of holding its row locks while the next attempt waits on them
        const batch = db.transaction((tx) => applyBatch(tx, target, from, last), activity);
        batch.catch(() => undefined);
        inFlight.push(batch);
        after = last;
        if (inFlight.length >= Math.max(1, deps.concurrency)) await settle(inFlight.shift() as Promise<BatchCounts>);
      }
      while (inFlight.length > 0) await settle(inFlight.shift() as Promise<BatchCounts>);
    } finally {
      // nothing returns (or fails) while a batch of this attempt may still be writing
      await Promise.allSettled(inFlight);
    }
    // group members resolve through the sightings the accounts just wrote: on a first run the
    // planner would otherwise probe a table it believes empty
    if (kind === 'identity' && kinds.includes('access') && written >= ANALYZE_AFTER_WRITES) {
      await db.longQuery(activity, 'ANALYZE datacard_sighting, datacard');
    }
  }
  await assertStagingIntact(db, runId, 'load');
  const { rows: redone } = await db.query<{ staging_redos: number }>(`SELECT staging_redos FROM run WHERE id = $1`, [runId]);
  if ((redone[0]?.staging_redos ?? 0) > 0) {
    // the run read its source again after staging was lost: records loaded before have their
    // outcome already (created stays created); the redo's second outcome of a record goes
    await db.transaction(async (tx) => {
      await withoutNestedLoops(tx);
      await tx.query(DROP_REPEATED_OUTCOMES, [run.rowId]);
    }, activity);
    await runs.recomputeStats(runId);
  }
  // the batches' plans do not depend on the target tables' statistics, but what reads these tables
  // next does (removal reconciliation, the next run's diff): a first run grew them from empty, and
  // a task_cache estimated at a few hundred rows per task made a later diff compare 50M pairs.
  // Small loads leave it to autovacuum: analysing 100k-row tables for 1,000 writes costs seconds.
  if (totals.created + totals.updated >= ANALYZE_AFTER_WRITES) await db.longQuery(activity, 'ANALYZE datacard_sighting, datacard, datacard_link, task_cache');
  // unchanged records wrote nothing and have no outcome row: they are counted from staging
  totals.unchanged = await runs.countUnchanged(runId);
  await runs.setStats(runId, { unchanged: totals.unchanged });
  return { ...totals, stats: await runs.stats(runId) };
}

/**
 * The next batch window: the last of the next `size` keys still to load after `after`, in
 * primary-key order; null when nothing is left (the caller then checks that staging was not lost).
 * The predicate is the partial index's own, so the plan is a walk of that index whatever the
 * statistics say (a plan on the decision column alone sorted the whole remaining kind for every batch).
 */
async function nextWindow(db: Sql, t: BatchTarget, after: string, size: number): Promise<string | null> {
  if (t.membersLocal) {
    // a batch holds its groups' members in memory (twice for updated groups): it ends where the
    // members would pass what this worker's heap holds (at least one group; extract refused larger ones)
    const { rows } = await db.query<{ last: string | null }>(
      `SELECT max(w.source_id) AS last FROM (
         SELECT v.source_id, sum(v.n) OVER (ORDER BY v.source_id) AS total, row_number() OVER (ORDER BY v.source_id) AS i FROM (
           SELECT s.source_id, COALESCE(jsonb_array_length(s.members), 0) AS n FROM staging_record s
            WHERE s.run_id = $1 AND s.resource = $2 AND s.source_id > $3 AND ${PUSHED}
            ORDER BY s.run_id, s.resource, s.source_id LIMIT $4) v) w
        WHERE w.i = 1 OR w.total <= $5`,
      [t.runId, t.kind, after, size, workerMemory().memberLimit],
    );
    return rows[0]?.last ?? null;
  }
  const { rows } = await db.query<{ last: string | null }>(
    `SELECT max(w.source_id) AS last FROM (
       SELECT s.source_id FROM staging_record s WHERE s.run_id = $1 AND s.resource = $2 AND s.source_id > $3 AND ${PUSHED}
        ORDER BY s.run_id, s.resource, s.source_id LIMIT $4) w`,
    [t.runId, t.kind, after, size],
  );
  return rows[0]?.last ?? null;
}

/** Loads the window (after, last] in one transaction. */
async function applyBatch(tx: Sql, t: BatchTarget, after: string, last: string): Promise<BatchCounts> {
  const { templateCode, folderCode } = t.section;
  // a batch on a lost staging would find nothing to load; a crash during the batch aborts it
  await assertStagingIntact(tx, t.runId, 'load');
  const range = [t.runId, t.kind, after, last];
  // the window's rows still to load; locked, so a second attempt running at the same time waits
  // for this one and then finds them loaded
  const { rows } = await tx.query<BatchRow & { members?: string[] | null }>(
    `SELECT s.source_id, s.unique_value, s.decision, s.message${t.membersLocal ? ', s.members' : ''} FROM staging_record s
      WHERE ${IN_RANGE} AND ${PUSHED}
      ORDER BY s.source_id FOR UPDATE`,
    range,
  );
  if (rows.length === 0) return { created: 0, updated: 0 };

  // group source id -> the account datacards its members resolved to (memberships only)
  const members = new Map<string, string[]>();
  if (t.membersLocal) {
    // members -> account datacards this task has sighted (this run's accounts were loaded first),
    // in one lookup of the batch's distinct members; a group with unresolved members says so in
    // its outcome message and is cached as partial (pushed again next run)
    const wanted = [...new Set(rows.flatMap((r) => r.members ?? []))];
    const cardOfMember = new Map<string, string>();
    if (wanted.length > 0) {
      const found = await tx.query<{ source_id: string; datacard_id: string }>(
        `SELECT sg.source_id, sg.datacard_id FROM unnest($2::text[]) AS m(id)
           JOIN datacard_sighting sg ON sg.task_id = $1 AND sg.kind = 'identity' AND sg.source_id = m.id`,
        [t.taskId, wanted],
      );
      for (const r of found.rows) cardOfMember.set(r.source_id, r.datacard_id);
    }
    for (const r of rows) {
      const ids = new Set<string>();
      const missing: string[] = [];
      for (const m of r.members ?? []) {
        const card = cardOfMember.get(m);
        if (card === undefined) missing.push(m);
        else ids.add(card);
      }
      members.set(r.source_id, [...ids].sort());
      r.message = missing.length > 0 ? `members without an account of this task: ${missing.sort().join(', ').slice(0, 500)}` : null;
    }
  }
  const partial = rows.filter((r) => r.message !== null).map((r) => r.source_id);

  // the batch's existing datacards, before the upsert changes them: whether a pushed one was
  // removed (only asked when the mapping reactivates)
  const existing = new Map<string, { id: string; status: string }>();
  const lookup = t.reactivateValue === null ? [] : rows;
  if (lookup.length > 0) {
    const found = await tx.query<{ id: string; unique_value: string; status: string }>(
      `SELECT id, unique_value, status FROM datacard WHERE template_code = $1 AND unique_value = ANY($2::text[])`,
      [templateCode, lookup.map((r) => r.unique_value)],
    );
    for (const d of found.rows) existing.set(d.unique_value, d);
  }

  // datacard of each record, by unique value
  const upserted = new Map<string, { id: string; inserted: boolean }>();
  const up = await tx.query<{ id: string; unique_value: string; inserted: boolean }>(
    `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
     SELECT $5, $6, s.unique_value,
            CASE WHEN $10::text IS NULL THEN s.mapped ELSE s.mapped || jsonb_build_object($10::text, COALESCE($11::jsonb -> s.source_id, '[]'::jsonb)) END,
            $7, 'active' FROM staging_record s
      WHERE ${IN_RANGE} AND ${PUSHED}
     ON CONFLICT (template_code, unique_value) DO UPDATE
       SET attributes = CASE
             WHEN datacard.status <> 'removed' OR $8::text IS NULL THEN datacard.attributes || EXCLUDED.attributes
             WHEN $9::text IS NOT NULL THEN datacard.attributes || EXCLUDED.attributes || jsonb_build_object($8::text, $9::text)
             ELSE datacard.attributes || (EXCLUDED.attributes - $8::text) END,
           status = CASE WHEN datacard.status = 'removed' AND $9::text IS NOT NULL THEN 'active' ELSE datacard.status END,
           folder_code = EXCLUDED.folder_code, task_id = EXCLUDED.task_id, updated_at = now()
     RETURNING id, unique_value, (xmax = 0) AS inserted`,
    [...range, templateCode, folderCode, t.taskId, t.statusAttribute, t.reactivateValue, t.membersLocal ?? null, t.membersLocal ? JSON.stringify(Object.fromEntries(members)) : null],
  );
  for (const d of up.rows) upserted.set(d.unique_value, d);

  // per-record outcomes and the datacard each record now has
  const counts: BatchCounts = { created: 0, updated: 0 };
  const outcome = { sourceIds: [] as string[], uniqueValues: [] as string[], ids: [] as string[], outcomes: [] as string[], messages: [] as Array<string | null> };
  for (const r of rows) {
    const card = upserted.get(r.unique_value);
    if (!card) throw new Error(`load: datacard upsert returned no row for unique value ${r.unique_value}`);
    const id = card.id;
    const result = card.inserted ? 'created' : 'updated';
    const reactivated = t.reactivateValue !== null && existing.get(r.unique_value)?.status === 'removed';
    const message = reactivated ? (r.message === null ? 'reactivated' : `reactivated; ${r.message}`) : r.message;
    counts[result] += 1;
    outcome.sourceIds.push(r.source_id);
    outcome.uniqueValues.push(r.unique_value);
    outcome.ids.push(id);
    outcome.outcomes.push(result);
    outcome.messages.push(message);
  }
  await tx.query(
    `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
     SELECT $1, $2, u.source_id, u.unique_value, u.datacard_id, u.outcome, u.message
       FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[]) AS u(source_id, unique_value, datacard_id, outcome, message)`,
    [t.rowId, t.kind, outcome.sourceIds, outcome.uniqueValues, outcome.ids, outcome.outcomes, outcome.messages],
  );

  if (t.membersLocal) {
    // memberships as links too, changed in place so unchanged members are not rewritten; pairs of
    // (group card, member card) built here, so no statement joins the batch with the target tables
    const created = { groups: [] as string[], targets: [] as string[] };
    const known = { groups: [] as string[], targets: [] as string[] };
    // group card -> its members as object keys, so the check per link is a key lookup
    const keep: Record<string, Record<string, true>> = {};
    for (const r of rows) {
      const card = upserted.get(r.unique_value) as { id: string; inserted: boolean };
      const ids = members.get(r.source_id) ?? [];
      // a card this batch created has no links yet: nothing to drop, nothing to conflict with
      // (members are distinct), so its links skip the conflict check
      const into = card.inserted ? created : known;
      for (const id of ids) {
        into.groups.push(card.id);
        into.targets.push(id);
      }
      if (!card.inserted) keep[card.id] = Object.fromEntries(ids.map((id) => [id, true] as const));
    }
    const updatedGroups = Object.keys(keep);
    if (updatedGroups.length > 0) {
      // each link of an updated group is checked against its group's members in one jsonb parameter:
      // no join, the plan is the index scan of those groups' links whatever the statistics say
      await tx.query(
        `DELETE FROM datacard_link l
          WHERE l.datacard_id = ANY($1::uuid[]) AND l.attribute_code = $2::text
            AND NOT (($3::jsonb -> l.datacard_id::text) ? l.target_id::text)`,
        [updatedGroups, t.membersLocal, JSON.stringify(keep)],
      );
    }
    for (const [pairs, onConflict] of [[created, ''], [known, 'ON CONFLICT DO NOTHING']] as const) {
      if (pairs.groups.length === 0) continue;
      await tx.query(
        `INSERT INTO datacard_link (datacard_id, attribute_code, target_id)
         SELECT k.g, $1::text, k.t FROM unnest($2::uuid[], $3::uuid[]) AS k(g, t) ${onConflict}`,
        [t.membersLocal, pairs.groups, pairs.targets],
      );
    }
  }

  // a group pushed with unresolved members is cached as partial so the next run pushes it again
  await tx.query(
    `INSERT INTO task_cache (task_id, kind, unique_value, hash, pushed_at)
     SELECT $5, $2, s.unique_value, CASE WHEN s.source_id = ANY($6::text[]) THEN s.hash || ':partial' ELSE s.hash END, now()
       FROM staging_record s WHERE ${IN_RANGE} AND ${PUSHED}
     ON CONFLICT (task_id, kind, unique_value) DO UPDATE SET hash = EXCLUDED.hash, pushed_at = EXCLUDED.pushed_at`,
    [...range, t.taskId, partial],
  );

  // who saw what in which run (only what it wrote; unchanged records count through the seen set):
  // group members resolve through it, removal reads it
  await tx.query(
    `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id)
     SELECT u.datacard_id, $1, $2, now(), $3, u.source_id FROM unnest($4::uuid[], $5::text[]) AS u(datacard_id, source_id)
     ON CONFLICT (datacard_id, task_id) DO UPDATE
       SET last_run_id = EXCLUDED.last_run_id, last_seen_at = EXCLUDED.last_seen_at, kind = EXCLUDED.kind, source_id = EXCLUDED.source_id`,
    [t.taskId, t.runId, t.kind, outcome.ids, outcome.sourceIds],
  );

  await tx.query(`UPDATE staging_record s SET loaded = true WHERE ${IN_RANGE} AND ${PUSHED}`, range);

  await tx.query(
    `UPDATE run SET stats = stats || jsonb_build_object(
        'created', COALESCE((stats->>'created')::int, 0) + $2::int,
        'updated', COALESCE((stats->>'updated')::int, 0) + $3::int)
      WHERE id = $1`,
    [t.rowId, counts.created, counts.updated],
  );
  return counts;
}
