import type { ResourceKind } from '@app/temporal';
import type { Db, Sql } from '../db';
import { decisionSql } from './decision-sql';
import { listingRejectionMessage } from '../../../import/src/extract/record-messages';
import type { RunRepository } from '../runs/run-repository';

/**
 * One record as it goes into staging: member ids apart, and either its mapping (done on the way
 * in, the raw JSON is then not kept) or its raw SCIM JSON (without members) for the map step.
 */
export interface StagedRecordInput {
  sourceId: string;
  raw: Record<string, unknown>;
  members: string[] | null;
  mapped?: { uniqueValue: string; attributes: Record<string, unknown>; hash: string };
}

/** What a page's mapped records are pre-decided against (see decisionSql). */
export interface PageDecisionContext {
  templateCode: string;
  taskId: string;
  /** the task cache counts only entries pushed at or after this (its latest clear boundary) */
  pushedSince: Date;
  reactivates: boolean;
}

/** The extract checkpoint of one resource of a run (table run_extract). */
export interface ExtractCheckpoint<P = unknown> {
  position: P | null;
  pages: number;
  fetched: number;
  fullRead: boolean;
  done: boolean;
}

/**
 * Per-run staging (UNLOGGED staging_record) and the extract checkpoints. Everything is keyed
 * by run id, so activities pass only references; what shows on the run (counts, failed
 * records, extract reports) goes to the row `runs.rowOf` names.
 */
export class StagingRepository {
  constructor(
    private readonly db: Db,
    private readonly runs: RunRepository,
  ) {}

  /** The checkpoint of a resource, or undefined before its first page. */
  async checkpoint<P>(runId: string, resource: ResourceKind): Promise<ExtractCheckpoint<P> | undefined> {
    const { rows } = await this.db.query<{ position: P | null; pages: number; fetched: number; full_read: boolean; done: boolean }>(
      `SELECT position, pages, fetched, full_read, done FROM run_extract WHERE run_id = $1 AND resource = $2`,
      [runId, resource],
    );
    const r = rows[0];
    return r ? { position: r.position, pages: r.pages, fetched: r.fetched, fullRead: r.full_read, done: r.done } : undefined;
  }

  /** Starts (or restarts, discarding what was staged) the read of a resource. */
  async beginExtract(runId: string, resource: ResourceKind, path: string, fullRead: boolean, discard: boolean): Promise<void> {
    const rowId = await this.runs.rowOf(runId);
    await this.db.transaction(async (tx) => {
      if (discard) await tx.query(`DELETE FROM staging_record WHERE run_id = $1 AND resource = $2`, [runId, resource]);
      // the run's first read creates its staging marker; only resetAfterLoss creates it again, so a
      // marker lost in a crash never comes back by itself
      await tx.query(
        `INSERT INTO staging_marker (run_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM run_extract WHERE run_id = $1)
         ON CONFLICT DO NOTHING`,
        [runId],
      );
      await tx.query(
        `INSERT INTO run_extract (run_id, resource, path, full_read) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id, resource) DO UPDATE SET path = EXCLUDED.path, full_read = EXCLUDED.full_read,
           position = CASE WHEN $5 THEN NULL ELSE run_extract.position END,
           pages = CASE WHEN $5 THEN 0 ELSE run_extract.pages END,
           fetched = CASE WHEN $5 THEN 0 ELSE run_extract.fetched END,
           done = false, report = NULL, updated_at = now()`,
        [runId, resource, path, fullRead, discard],
      );
      await refreshFetched(tx, runId, rowId);
    });
  }

  /**
   * Writes one page and its checkpoint in one transaction, so a resumed read never skips a
   * record whose page was not stored. Returns how many records were new to staging.
   */
  async stagePage(
    runId: string,
    resource: ResourceKind,
    records: StagedRecordInput[],
    position: unknown,
    rejected: Array<{ reason: string; excerpt: string }> = [],
    decide?: PageDecisionContext,
    /** the previous page's write: this page's rows may be written meanwhile, its checkpoint only after that one committed */
    previous?: Promise<unknown>,
  ): Promise<number> {
    const rowId = await this.runs.rowOf(runId);
    return this.db.transaction(async (tx) => {
      await pagePlanSettings(tx);
      if (rejected.length > 0) {
        // records without a usable id cannot be staged; they fail on their own, visible in the run's outcomes
        await tx.query(
          `INSERT INTO run_record (run_id, kind, outcome, message)
           SELECT $1, $2, 'failed', u.message FROM jsonb_to_recordset($3::jsonb) AS u(message text)`,
          [rowId, resource, JSON.stringify(rejected.map((r) => ({ message: listingRejectionMessage(r.reason, r.excerpt) })))],
        );
        await this.runs.addStats(runId, { failed: rejected.length }, tx);
      }
      const decided = decide && records.length > 0 ? await decidePage(tx, resource, records, decide) : new Map<number, string>();
      // an unchanged record is final here: only its id (and unique value, for the duplicate
      // check) is kept, marked loaded since there is nothing to write; the rest keep their mapping
      const unchanged = records.filter((_, i) => decided.get(i) === 'unchanged');
      const rest = records.flatMap((r, i) => (decided.get(i) === 'unchanged' ? [] : [{ r, decision: decided.get(i) }]));
      const payload = rest.length === 0
        ? null
        : JSON.stringify(
          rest.map(({ r, decision }) =>
            r.mapped
              ? { source_id: r.sourceId, members: r.members, unique_value: r.mapped.uniqueValue, mapped: r.mapped.attributes, hash: r.mapped.hash, decision: decision ?? 'mapped' }
              : { source_id: r.sourceId, raw: r.raw, members: r.members },
          ),
        );
      // a record seen twice (data changed while paging) keeps its latest version and starts over
      // (ids are unique within a page: the listing drops repeats; a repeat still being written by
      // the previous page's transaction waits for its commit)
      const conflict = `ON CONFLICT (run_id, resource, source_id) DO UPDATE SET raw = EXCLUDED.raw, members = EXCLUDED.members,
             unique_value = EXCLUDED.unique_value, mapped = EXCLUDED.mapped, hash = EXCLUDED.hash, decision = EXCLUDED.decision,
             message = NULL, loaded = EXCLUDED.loaded
           RETURNING (xmax = 0) AS inserted`;
      const { rows } = await tx.query<{ inserted: number }>(
        `WITH same AS (
           INSERT INTO staging_record (run_id, resource, source_id, unique_value, hash, decision, loaded)
           SELECT $1, $2, u.source_id, u.unique_value, u.hash, 'unchanged', true
             FROM unnest($3::text[], $4::text[], $5::text[]) AS u(source_id, unique_value, hash)
           ${conflict}),
         changed AS (
           INSERT INTO staging_record (run_id, resource, source_id, raw, members, unique_value, mapped, hash, decision, loaded)
           SELECT $1, $2, u.source_id, u.raw, u.members, u.unique_value, u.mapped, u.hash, u.decision, false
             FROM jsonb_to_recordset(COALESCE($6::jsonb, '[]'::jsonb))
                  AS u(source_id text, raw jsonb, members jsonb, unique_value text, mapped jsonb, hash text, decision text)
           ${conflict}),
         n AS (SELECT ((SELECT count(*) FROM same WHERE inserted) + (SELECT count(*) FROM changed WHERE inserted))::int AS inserted)
         SELECT inserted FROM n`,
        [runId, resource, unchanged.map((r) => r.sourceId), unchanged.map((r) => r.mapped?.uniqueValue), unchanged.map((r) => r.mapped?.hash), payload],
      );
      const inserted = rows[0].inserted;
      // the checkpoint never passes a page that is not staged: it moves only once the previous
      // page committed (if that one failed, this one rolls back too and a resume reads both again)
      await previous;
      await tx.query(
        `WITH checkpoint AS (
           UPDATE run_extract SET position = $3::jsonb, pages = pages + 1, fetched = fetched + $4, updated_at = now()
            WHERE run_id = $1 AND resource = $2 RETURNING 1)
         UPDATE run SET stats = jsonb_set(stats, '{fetched}', to_jsonb(COALESCE((stats->>'fetched')::int, 0) + $4::int)) WHERE id = $5`,
        [runId, resource, JSON.stringify(position ?? null), inserted, rowId],
      );
      return inserted;
    });
  }

  /**
   * Whether the run's staging was lost: it read something (checkpoints are logged) but its
   * UNLOGGED staging marker is gone, so crash recovery or a restore emptied staging.
   */
  async lost(runId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ lost: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM run_extract WHERE run_id = $1) AND NOT EXISTS (SELECT 1 FROM staging_marker WHERE run_id = $1) AS lost`,
      [runId],
    );
    return rows[0].lost;
  }

  /**
   * Starts the run's whole read over after its staging was lost: every resource back to its
   * first page, staging emptied, the marker set again, and the failed outcomes dropped (the redo
   * finds them again). Outcomes of records already loaded stay: load keeps each record's first.
   * Returns which resources had been read before (their reads are lost too).
   */
  async resetAfterLoss(runId: string, note: (redo: number) => string): Promise<Array<{ resource: ResourceKind; done: boolean; fetched: number }>> {
    const rowId = await this.runs.rowOf(runId);
    const before = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ resource: ResourceKind; done: boolean; fetched: number }>(
        `SELECT resource, done, fetched FROM run_extract WHERE run_id = $1 ORDER BY resource FOR UPDATE`,
        [runId],
      );
      await tx.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
      await tx.query(
        `UPDATE run_extract SET position = NULL, pages = 0, fetched = 0, done = false, report = NULL, updated_at = now() WHERE run_id = $1`,
        [runId],
      );
      await tx.query(`INSERT INTO staging_marker (run_id) VALUES ($1) ON CONFLICT DO NOTHING`, [runId]);
      const redo = await tx.query<{ staging_redos: number }>(`UPDATE run SET staging_redos = staging_redos + 1 WHERE id = $1 RETURNING staging_redos`, [runId]);
      await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome = 'failed'`, [rowId]);
      await tx.query(`UPDATE run SET extract_reports = '[]'::jsonb, notes = notes || to_jsonb($2::text) WHERE id = $1`, [
        rowId,
        note(redo.rows[0]?.staging_redos ?? 1),
      ]);
      return rows;
    });
    await this.runs.recomputeStats(runId);
    return before;
  }

  /** Stores the completeness report and marks the resource read; mirrors all reports onto the run. */
  async finishExtract(runId: string, resource: ResourceKind, report: Record<string, unknown>): Promise<void> {
    const rowId = await this.runs.rowOf(runId);
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE run_extract SET done = true, report = $3::jsonb, updated_at = now() WHERE run_id = $1 AND resource = $2`,
        [runId, resource, JSON.stringify(report)],
      );
      await tx.query(
        `UPDATE run SET extract_reports = COALESCE((
            SELECT jsonb_agg(report || jsonb_build_object('resource', resource, 'path', path, 'fullRead', full_read) ORDER BY resource)
              FROM run_extract WHERE run_id = $1 AND done), '[]'::jsonb)
          WHERE id = $2`,
        [runId, rowId],
      );
    });
  }

  /** Which of these ids are already staged for the resource (dedup that survives retries). */
  async existingIds(runId: string, resource: ResourceKind, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.query<{ source_id: string }>(
      `SELECT source_id FROM staging_record WHERE run_id = $1 AND resource = $2 AND source_id = ANY($3::text[])`,
      [runId, resource, ids],
    );
    return new Set(rows.map((r) => r.source_id));
  }

  /** Number of records staged for a resource. */
  async count(runId: string, resource: ResourceKind): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM staging_record WHERE run_id = $1 AND resource = $2`,
      [runId, resource],
    );
    return Number(rows[0].n);
  }

  /** Drops the run's staging (after success; a failed run keeps it for a resume). */
  async deleteRun(runId: string): Promise<void> {
    await this.db.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
  }
}

/**
 * The settings of a page's transaction. Staging is UNLOGGED (gone after a database crash anyway):
 * its checkpoint need not wait for the WAL flush. Given a choice, the planner hashes the task's
 * whole cache (100k entries) for every page instead of probing it (PAGE_DECISION probes anyway).
 */
export async function pagePlanSettings(tx: Sql): Promise<void> {
  await tx.query(`SET LOCAL synchronous_commit = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`);
}

/**
 * The decision (decisionSql) of records of a page: $1 their indexes, $2 source ids, $3 unique
 * values, $4 hashes; $5 the template, $6 the cache's clear boundary, $7 whether the mapping
 * reactivates, $8 the task, $9 the resource kind.
 *
 * A page is a few hundred records: each looks up its card, cache entry and sighting by their full
 * keys (at most one row each: unique constraint and primary keys). The lookups are LATERAL
 * subqueries the planner cannot flatten (LIMIT 1), so it cannot trade them for a join: with
 * statistics taken while the template held a few hundred cards (a new task; autovacuum not there
 * yet) it materialised the whole template and compared every page record with every card, 0.7 s
 * a page at 20k cards (the 20k run after 20 smaller ones in bench/workers.ts, 17-33 s instead of 4).
 */
export const PAGE_DECISION = `SELECT u.i, ${decisionSql('u.hash', '$7::boolean', '$6::timestamptz', 'u.source_id')} AS decision
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS u(i, source_id, unique_value, hash)
       LEFT JOIN LATERAL (SELECT d.id, d.status FROM datacard d WHERE d.template_code = $5::text AND d.unique_value = u.unique_value LIMIT 1) d ON true
       LEFT JOIN LATERAL (SELECT c.hash, c.pushed_at FROM task_cache c WHERE c.task_id = $8::uuid AND c.kind = $9::text AND c.unique_value = u.unique_value LIMIT 1) c ON true
       LEFT JOIN LATERAL (SELECT sg.source_id FROM datacard_sighting sg WHERE sg.datacard_id = d.id AND sg.task_id = $8::uuid LIMIT 1) sg ON true`;

/**
 * The decision of each mapped record of a page against the target as it is now: index probes
 * per record (pagePlanSettings), only unique values, hashes and ids travel. Keyed by the
 * record's index.
 */
async function decidePage(tx: Sql, resource: ResourceKind, records: StagedRecordInput[], ctx: PageDecisionContext): Promise<Map<number, string>> {
  const mapped = records.flatMap((r, i) => (r.mapped ? [{ i, r }] : []));
  if (mapped.length === 0) return new Map();
  const { rows } = await tx.query<{ i: number; decision: string }>(
    PAGE_DECISION,
    [
      mapped.map((m) => m.i),
      mapped.map((m) => m.r.sourceId),
      mapped.map((m) => m.r.mapped?.uniqueValue),
      mapped.map((m) => m.r.mapped?.hash),
      ctx.templateCode,
      ctx.pushedSince,
      ctx.reactivates,
      ctx.taskId,
      resource,
    ],
  );
  return new Map(rows.map((r) => [r.i, r.decision]));
}

/** run.stats.fetched = distinct records staged so far, from the small checkpoint table. */
async function refreshFetched(tx: Sql, runId: string, rowId: string): Promise<void> {
  await tx.query(
    `UPDATE run SET stats = jsonb_set(stats, '{fetched}', to_jsonb((SELECT COALESCE(sum(fetched), 0)::int FROM run_extract WHERE run_id = $1)))
      WHERE id = $2`,
    [runId, rowId],
  );
}
