import type { ResourceKind } from '@app/temporal/contracts';
import type { Db, Sql, StatementWatch } from '../db';
import { DUPLICATE_CHECK, PAGE_DECISION, decisionUpdate, toDecide } from './decision-sql';
import { IN_WINDOW, TO_LOAD, windowParams, type LoadWindow } from './load-window';
import { pagePlanSettings } from './staging-plans';
import { dropRunStaging, emptyRunStaging, openRunStaging, partitionAttached, runIdsWithStaging, stagingPartitionName } from './staging-partition';
import type { RunRepository } from '../runs/run-repository';

export type { LoadWindow } from './load-window';

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

/** What extract decides a page's mapped records against as it stages them (see PAGE_DECISION). */
export interface PageDecisionContext {
  templateCode: string;
  taskId: string;
  /** the task cache counts only entries pushed at or after this (its latest clear boundary) */
  pushedSince: Date;
  reactivates: boolean;
}

/** One page for stagePage: its records, where the listing stands after it, and what it decides them against. */
export interface StagedPage {
  runId: string;
  resource: ResourceKind;
  records: StagedRecordInput[];
  /** the listing's position after this page (the checkpoint a resumed read starts from) */
  position: unknown;
  /** the failure message of each record the listing could not use (no id, not an object) */
  rejectedMessages?: string[];
  /** when given, the page's mapped records are decided as they are staged */
  decide?: PageDecisionContext;
  /** the previous page's write: this page's rows may be written meanwhile, its checkpoint only after that one committed */
  previous?: Promise<unknown>;
  /** the listing's totalResults on this page (of an incremental read: the changed records), when it announced one */
  totalResults?: number;
}

/** A staged record the map step still has to map (extract staged its raw JSON). */
export interface UnmappedRecord {
  resource: ResourceKind;
  sourceId: string;
  raw: Record<string, unknown>;
  members: string[] | null;
}

/** A staged row of a load batch, as the batch locks it. */
export interface RowToLoad {
  sourceId: string;
  uniqueValue: string;
  decision: 'create' | 'update';
  /** the mapped record's hash: what the task cache keeps once it is pushed */
  hash: string;
  message: string | null;
  /** only when the batch asked for them (memberships are mapped) */
  members?: string[] | null;
}

/**
 * One row of table run_extract: where the read of one resource of a run stands. Written in the
 * transaction of each staged page, so it survives what the UNLOGGED staging does not.
 */
export interface RunExtractRow<P = unknown> {
  /** the run id the activities carry (staging is keyed by it too) */
  runId: string;
  resource: ResourceKind;
  path: string;
  /** the listing's position after the last staged page: where a resumed read starts */
  position: P | null;
  pages: number;
  /** distinct records staged */
  fetched: number;
  /** listed without the incremental filter */
  fullRead: boolean;
  /** read to the end */
  done: boolean;
  /** the listing's completeness report, once done */
  report: Record<string, unknown> | null;
  /** what the read lists: `attributes=` names, or null for whole records; null until the read chose (recordProjection) */
  projection: ListingProjection | null;
  updatedAt: Date;
  /** when the read began (again, if it started over) */
  startedAt: Date | null;
  /** the listing's latest totalResults, when it announced one */
  totalResults: number | null;
}

/** The `attributes=` a read of a resource lists with; null attributes list whole records. */
export interface ListingProjection {
  attributes: string[] | null;
}

/** Columns of run_extract as pg returns them. */
interface RunExtractColumns<P> {
  run_id: string;
  resource: ResourceKind;
  path: string;
  position: P | null;
  pages: number;
  fetched: number;
  full_read: boolean;
  done: boolean;
  report: Record<string, unknown> | null;
  projection: ListingProjection | null;
  updated_at: Date;
  started_at: Date | null;
  total_results: number | null;
}

/** The one mapper from run_extract's columns to RunExtractRow. */
export function runExtractRowFrom<P>(c: RunExtractColumns<P>): RunExtractRow<P> {
  return {
    runId: c.run_id,
    resource: c.resource,
    path: c.path,
    position: c.position,
    pages: c.pages,
    fetched: c.fetched,
    fullRead: c.full_read,
    done: c.done,
    report: c.report,
    projection: c.projection,
    updatedAt: c.updated_at,
    startedAt: c.started_at,
    totalResults: c.total_results,
  };
}

/** The extract checkpoint of one resource of a run: what a resumed read goes on from. */
export type ExtractCheckpoint<P = unknown> = Pick<RunExtractRow<P>, 'position' | 'pages' | 'fetched' | 'fullRead' | 'done' | 'projection'>;

/**
 * Per-run staging (staging_record, one UNLOGGED partition per run: staging-partition.ts;
 * staging_marker) and the extract checkpoints (run_extract). Everything is keyed by run id, so
 * activities pass only references; what shows on the run (counts, failed records, extract
 * reports) RunRepository writes, to the row `runs.rowOf` names, in the same transaction.
 */
export class StagingRepository {
  constructor(
    private readonly db: Db,
    private readonly runs: RunRepository,
  ) {}

  /** The checkpoint of a resource, or undefined before its first page. */
  async checkpoint<P>(runId: string, resource: ResourceKind): Promise<ExtractCheckpoint<P> | undefined> {
    const { rows } = await this.db.query<RunExtractColumns<P>>(`SELECT * FROM run_extract WHERE run_id = $1 AND resource = $2`, [runId, resource]);
    return rows[0] ? runExtractRowFrom(rows[0]) : undefined;
  }

  /** Starts (or restarts, discarding what was staged) the read of a resource; creates the run's staging partition if it has none. */
  async beginExtract(runId: string, resource: ResourceKind, path: string, fullRead: boolean, discard: boolean): Promise<void> {
    const rowId = await this.runs.rowOf(runId);
    await openRunStaging(this.db, runId);
    await this.db.transaction(async (tx) => {
      if (discard) {
        await tx.query(`DELETE FROM staging_record WHERE run_id = $1 AND resource = $2`, [runId, resource]);
        // what load recorded of the discarded rows describes rows that are gone
        await tx.query(`DELETE FROM staging_load_batch WHERE run_id = $1 AND resource = $2`, [runId, resource]);
      }
      // the run's first read creates its staging marker; only resetAfterLoss creates it again, so a
      // marker lost in a crash never comes back by itself
      await tx.query(
        `INSERT INTO staging_marker (run_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM run_extract WHERE run_id = $1)
         ON CONFLICT DO NOTHING`,
        [runId],
      );
      await tx.query(
        `INSERT INTO run_extract (run_id, resource, path, full_read, started_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (run_id, resource) DO UPDATE SET path = EXCLUDED.path, full_read = EXCLUDED.full_read,
           position = CASE WHEN $5 THEN NULL ELSE run_extract.position END,
           -- a read that starts over begins now, and its listing announces its total again
           started_at = CASE WHEN $5 THEN now() ELSE COALESCE(run_extract.started_at, now()) END,
           total_results = CASE WHEN $5 THEN NULL ELSE run_extract.total_results END,
           pages = CASE WHEN $5 THEN 0 ELSE run_extract.pages END,
           fetched = CASE WHEN $5 THEN 0 ELSE run_extract.fetched END,
           projection = CASE WHEN $5 THEN NULL ELSE run_extract.projection END,
           done = false, report = NULL, updated_at = now()`,
        [runId, resource, path, fullRead, discard],
      );
      await this.runs.refreshFetched({ runId, rowId }, tx);
    });
  }

  /** Keeps what the read of a resource lists (its `attributes=`, or null: whole records), for a resumed read to go on with. */
  async recordProjection(runId: string, resource: ResourceKind, attributes: string[] | null): Promise<void> {
    await this.db.query(`UPDATE run_extract SET projection = $3::jsonb, updated_at = now() WHERE run_id = $1 AND resource = $2`, [
      runId,
      resource,
      JSON.stringify({ attributes } satisfies ListingProjection),
    ]);
  }

  /**
   * Writes one page and its checkpoint in one transaction, so a resumed read never skips a
   * record whose page was not stored. With `decide`, its mapped records are decided as they are
   * staged (PAGE_DECISION). The records the listing could not use become failed outcomes
   * (RunRepository, same transaction). Returns how many records were new to staging.
   */
  async stagePage({ runId, resource, records, position, rejectedMessages = [], decide, previous, totalResults }: StagedPage): Promise<number> {
    const rowId = await this.runs.rowOf(runId);
    return this.db.transaction(async (tx) => {
      await pagePlanSettings(tx);
      if (rejectedMessages.length > 0) {
        // records without a usable id cannot be staged; they fail on their own, visible in the run's outcomes
        await this.runs.recordRejected({ rowId, kind: resource, messages: rejectedMessages }, tx);
        await this.runs.addStats(runId, { failed: rejectedMessages.length }, tx);
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
      // written to the run's partition by name: RETURNING cannot read xmax through the partitioned
      // table, and a partition that is gone fails the page (the retry finds the staging lost)
      const partition = stagingPartitionName(runId);
      // a record seen twice (data changed while paging) keeps its latest version and starts over
      // (ids are unique within a page: the listing drops repeats; a repeat still being written by
      // the previous page's transaction waits for its commit)
      const conflict = `ON CONFLICT (run_id, resource, source_id) DO UPDATE SET raw = EXCLUDED.raw, members = EXCLUDED.members,
             unique_value = EXCLUDED.unique_value, mapped = EXCLUDED.mapped, hash = EXCLUDED.hash, decision = EXCLUDED.decision,
             message = NULL, loaded = EXCLUDED.loaded
           RETURNING (xmax = 0) AS inserted`;
      const { rows } = await tx.query<{ inserted: number }>(
        `WITH same AS (
           INSERT INTO ${partition} (run_id, resource, source_id, unique_value, hash, decision, loaded)
           SELECT $1, $2, u.source_id, u.unique_value, u.hash, 'unchanged', true
             FROM unnest($3::text[], $4::text[], $5::text[]) AS u(source_id, unique_value, hash)
           ${conflict}),
         changed AS (
           INSERT INTO ${partition} (run_id, resource, source_id, raw, members, unique_value, mapped, hash, decision, loaded)
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
      // writes run_extract (the checkpoint) and run.stats.fetched in one statement: it is the
      // checkpoint's statement, the count follows it, and a page costs one round trip less. The
      // listing's latest totalResults rides along for the progress (a page without one keeps the
      // last; a read begun again after a staging loss begins at its first page)
      await tx.query(
        `WITH checkpoint AS (
           UPDATE run_extract SET position = $3::jsonb, pages = pages + 1, fetched = fetched + $4, updated_at = now(),
                  total_results = COALESCE($6::int, total_results), started_at = COALESCE(started_at, now())
            WHERE run_id = $1 AND resource = $2 RETURNING 1)
         UPDATE run SET stats = jsonb_set(stats, '{fetched}', to_jsonb(COALESCE((stats->>'fetched')::int, 0) + $4::int)) WHERE id = $5`,
        [runId, resource, JSON.stringify(position ?? null), inserted, rowId, totalResults ?? null],
      );
      return inserted;
    });
  }

  /**
   * Whether the run's staging was lost: it read something (checkpoints are logged) but its
   * UNLOGGED staging marker is gone, so crash recovery or a restore emptied staging, or its
   * partition is gone (released by the staging sweep while a resume was pending).
   */
  async lost(runId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ lost: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM run_extract WHERE run_id = $1)
              AND (NOT EXISTS (SELECT 1 FROM staging_marker WHERE run_id = $1) OR NOT ${partitionAttached('$2')}) AS lost`,
      [runId, stagingPartitionName(runId)],
    );
    return rows[0].lost;
  }

  /**
   * Starts the run's whole read over after its staging was lost: every resource back to its
   * first page, staging emptied, the marker set again, and the failed outcomes dropped (the redo
   * finds them again). Outcomes of records already loaded stay: load keeps each record's first.
   * Returns which resources had been read before (their reads are lost too).
   */
  async resetAfterLoss(runId: string, note: (redo: number) => string): Promise<Array<Pick<RunExtractRow, 'resource' | 'done' | 'fetched'>>> {
    const rowId = await this.runs.rowOf(runId);
    await openRunStaging(this.db, runId);
    const before = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Pick<RunExtractColumns<unknown>, 'resource' | 'done' | 'fetched'>>(
        `SELECT resource, done, fetched FROM run_extract WHERE run_id = $1 ORDER BY resource FOR UPDATE`,
        [runId],
      );
      await tx.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
      await tx.query(`DELETE FROM staging_load_batch WHERE run_id = $1`, [runId]);
      await tx.query(
        `UPDATE run_extract SET position = NULL, pages = 0, fetched = 0, done = false, report = NULL, projection = NULL, updated_at = now(),
                started_at = NULL, total_results = NULL
          WHERE run_id = $1`,
        [runId],
      );
      await tx.query(`INSERT INTO staging_marker (run_id) VALUES ($1) ON CONFLICT DO NOTHING`, [runId]);
      await this.runs.recordStagingRedo({ runId, rowId, note }, tx);
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
      await this.runs.mirrorExtractReports({ runId, rowId }, tx);
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

  /** The resources the run read (or is reading), with how many records each staged. */
  async extractedResources(runId: string): Promise<Array<Pick<RunExtractRow, 'resource' | 'fetched'>>> {
    const { rows } = await this.db.query<Pick<RunExtractColumns<unknown>, 'resource' | 'fetched'>>(`SELECT resource, fetched FROM run_extract WHERE run_id = $1 ORDER BY resource`, [runId]);
    return rows;
  }

  /**
   * The next `limit` records the map step has to map, after `after` in primary-key order: a
   * keyset over the primary key; "decision IS NULL" makes a replayed chunk a no-op.
   */
  async unmappedChunk({ runId, after, limit }: { runId: string; after: { resource: string; sourceId: string }; limit: number }): Promise<UnmappedRecord[]> {
    const { rows } = await this.db.query<{ resource: ResourceKind; source_id: string; raw: Record<string, unknown>; members: string[] | null }>(
      `SELECT resource, source_id, raw, members FROM staging_record
        WHERE run_id = $1 AND (resource, source_id) > ($2, $3) AND decision IS NULL
        ORDER BY resource, source_id LIMIT $4`,
      [runId, after.resource, after.sourceId, limit],
    );
    return rows.map((r) => ({ resource: r.resource, sourceId: r.source_id, raw: r.raw, members: r.members }));
  }

  /**
   * Stores what the map step made of a chunk: `resultsJson` is a JSON array of
   * { resource, source_id, unique_value, mapped, hash, decision ('mapped' | 'failed'), message }.
   */
  async storeMapped({ runId, resultsJson }: { runId: string; resultsJson: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE staging_record s SET unique_value = u.unique_value, mapped = u.mapped, hash = u.hash, decision = u.decision, message = u.message
         FROM jsonb_to_recordset($2::jsonb) AS u(resource text, source_id text, unique_value text, mapped jsonb, hash text, decision text, message text)
        WHERE s.run_id = $1 AND s.resource = u.resource AND s.source_id = u.source_id`,
      [runId, resultsJson],
    );
  }

  /** Whether diff has anything to decide (see toDecide): one look at the run's rows spares the decision's joins. */
  async hasRecordsToDecide(runId: string, stale: boolean): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM staging_record s WHERE s.run_id = $1 AND ${toDecide(stale)} LIMIT 1`, [runId]);
    return rows.length > 0;
  }

  /**
   * Fails every record whose unique value an earlier source id of the run already has, with its
   * outcome and count (DUPLICATE_CHECK: staging_record, run_record and run.stats in one
   * statement). Run inside a transaction without nested loops.
   */
  async failDuplicates({ runId, rowId }: { runId: string; rowId: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(DUPLICATE_CHECK, [runId, rowId]);
  }

  /**
   * Decides the records diff has to decide (decisionUpdate): `kinds` with their `templateCodes`
   * and whether each `reactivates`, against the cache entries pushed since `pushedSince`. Run
   * inside a transaction without nested loops.
   */
  async decideRemaining(
    { runId, taskId, kinds, templateCodes, reactivates, pushedSince, stale }: { runId: string; taskId: string; kinds: ResourceKind[]; templateCodes: string[]; reactivates: boolean[]; pushedSince: Date; stale: boolean },
    tx: Sql = this.db,
  ): Promise<void> {
    await tx.query(decisionUpdate(stale), [runId, kinds, templateCodes, pushedSince, taskId, reactivates]);
  }

  /** How many of the run's staged records have each decision (a long statement on a big run). */
  async decisionCounts(runId: string, watch: StatementWatch): Promise<Map<string, number>> {
    const { rows } = await this.db.longQuery<{ decision: string; n: string }>(
      watch,
      `SELECT decision, count(*) AS n FROM staging_record WHERE run_id = $1 GROUP BY decision`,
      [runId],
    );
    return new Map(rows.map((r) => [r.decision, Number(r.n)]));
  }

  /** Whether the kind has records to load: one probe of the to-load index. */
  async hasRecordsToLoad(runId: string, kind: ResourceKind): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM staging_record s WHERE s.run_id = $1 AND s.resource = $2 AND ${TO_LOAD} LIMIT 1`, [runId, kind]);
    return rows.length > 0;
  }

  /**
   * The next load batch: the last of the next `size` keys still to load after `after` (and up to
   * `upTo`, where a range a committed batch wrote starts), in primary-key order; null when
   * nothing is left there. With `memberLimit`, the batch also ends where its groups' members would pass it (at
   * least one group). The predicate is the partial index's own, so the plan is a walk of that
   * index whatever the statistics say (a plan on the decision column alone sorted the whole
   * remaining kind for every batch).
   */
  async nextLoadWindow(
    { runId, kind, after, upTo, size, memberLimit }: { runId: string; kind: ResourceKind; after: string; upTo?: string; size: number; memberLimit?: number },
  ): Promise<string | null> {
    // a bound of the index range, not a filter: written only when there is one
    const until = upTo === undefined ? '' : ` AND s.source_id <= $${memberLimit !== undefined ? 6 : 5}`;
    const bound = upTo === undefined ? [] : [upTo];
    if (memberLimit !== undefined) {
      const { rows } = await this.db.query<{ last: string | null }>(
        `SELECT max(w.source_id) AS last FROM (
           SELECT v.source_id, sum(v.n) OVER (ORDER BY v.source_id) AS total, row_number() OVER (ORDER BY v.source_id) AS i FROM (
             SELECT s.source_id, COALESCE(jsonb_array_length(s.members), 0) AS n FROM staging_record s
              WHERE s.run_id = $1 AND s.resource = $2 AND s.source_id > $3${until} AND ${TO_LOAD}
              ORDER BY s.run_id, s.resource, s.source_id LIMIT $4) v) w
          WHERE w.i = 1 OR w.total <= $5`,
        [runId, kind, after, size, memberLimit, ...bound],
      );
      return rows[0]?.last ?? null;
    }
    const { rows } = await this.db.query<{ last: string | null }>(
      `SELECT max(w.source_id) AS last FROM (
         SELECT s.source_id FROM staging_record s WHERE s.run_id = $1 AND s.resource = $2 AND s.source_id > $3${until} AND ${TO_LOAD}
          ORDER BY s.run_id, s.resource, s.source_id LIMIT $4) w`,
      [runId, kind, after, size, ...bound],
    );
    return rows[0]?.last ?? null;
  }

  /**
   * The batch's rows to load, locked: a second attempt running at the same time on the same rows
   * waits for this one, and then finds its batch recorded (LoadBatchRepository.overlapsLoaded).
   * `withMembers` also reads each group's member ids.
   */
  async lockLoadWindow({ window, withMembers }: { window: LoadWindow; withMembers: boolean }, tx: Sql = this.db): Promise<RowToLoad[]> {
    const { rows } = await tx.query<{ source_id: string; unique_value: string; decision: 'create' | 'update'; hash: string; message: string | null; members?: string[] | null }>(
      `SELECT s.source_id, s.unique_value, s.decision, s.hash, s.message${withMembers ? ', s.members' : ''} FROM staging_record s
        WHERE ${IN_WINDOW} AND ${TO_LOAD}
        ORDER BY s.source_id FOR UPDATE`,
      windowParams(window),
    );
    return rows.map((r) => ({ sourceId: r.source_id, uniqueValue: r.unique_value, decision: r.decision, hash: r.hash, message: r.message, ...(withMembers ? { members: r.members } : {}) }));
  }

  /** Drops the run's staging partition and marker (after success; a failed run keeps them for a resume). Not in a transaction. */
  async deleteRun(runId: string): Promise<void> {
    await dropRunStaging(this.db, runId);
  }

  /**
   * What finishRun proves before a run may succeed (in its transaction): the records the extracts
   * counted, those staged, and those staged that were neither loaded nor failed on their own.
   */
  async landing(runId: string, tx: Sql = this.db): Promise<{ read: number; staged: number; unloaded: number }> {
    const { rows } = await tx.query<{ read: number; staged: number; unloaded: number }>(
      `SELECT (SELECT COALESCE(sum(fetched), 0)::int FROM run_extract WHERE run_id = $1) AS read,
              count(*)::int AS staged,
              -- the batches load recorded wrote rows to load, each once (their ranges do not overlap)
              (count(*) FILTER (WHERE NOT loaded AND decision IS DISTINCT FROM 'failed'))::int
                - (SELECT COALESCE(sum(b.loaded_rows), 0)::int FROM staging_load_batch b WHERE b.run_id = $1) AS unloaded
         FROM staging_record WHERE run_id = $1`,
      [runId],
    );
    return rows[0];
  }

  /** Records staged for the run, every resource (a long count on a big run: watched by the activity). */
  async countAll(runId: string, watch: StatementWatch): Promise<number> {
    const { rows } = await this.db.longQuery<{ n: string }>(watch, `SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [runId]);
    return Number(rows[0].n);
  }

  /**
   * Drops a succeeded run's staging partition and marker. A run that keeps a seen set keeps its
   * partition and marker with only its unchanged and failed ids: the seen set is the partition of
   * the task's latest complete full run, and the previous one's partition is dropped when a newer
   * complete full run finishes (dropSeenSets, then dropReleased). So repeated full runs leave one
   * partition per task, whose size is the task's unchanged records, and no dead rows behind (a
   * separate seen-set table would copy every unchanged id on each run, and deleting the
   * superseded ids from it would leave the dead rows this layout avoids). Most of a partition's
   * rows are the seen set on a re-run (nothing else to delete) and few on a first import: when the
   * rows to drop outnumber those kept, the kept ones are copied aside and the partition truncated
   * and refilled, so the seen set does not carry the run's dead rows until the next full run.
   * Idempotent (a retried finishRun runs it again). Not in a transaction.
   */
  async releaseSucceeded(runId: string, keepSeenSet: boolean): Promise<void> {
    if (!keepSeenSet) {
      await dropRunStaging(this.db, runId);
      return;
    }
    const name = stagingPartitionName(runId);
    const seen = `decision IN ('unchanged', 'failed')`;
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ attached: boolean }>(`SELECT ${partitionAttached('$1')} AS attached`, [name]);
      if (!rows[0].attached) return;
      // the partition's own name: these statements read and rewrite this one run's rows only
      const counts = await tx.query<{ kept: number; dropped: number }>(
        `SELECT (count(*) FILTER (WHERE ${seen}))::int AS kept, (count(*) FILTER (WHERE NOT (${seen}) OR decision IS NULL))::int AS dropped FROM ${name}`,
      );
      const { kept, dropped } = counts.rows[0];
      if (dropped === 0) return;
      if (dropped <= kept) {
        await tx.query(`DELETE FROM ${name} WHERE NOT (${seen}) OR decision IS NULL`);
        return;
      }
      await tx.query(`CREATE TEMP TABLE seen_set_rows ON COMMIT DROP AS SELECT * FROM ${name} WHERE ${seen}`);
      await tx.query(`TRUNCATE ${name}`);
      await tx.query(`INSERT INTO ${name} SELECT * FROM seen_set_rows`);
    });
  }

  /**
   * Takes the markers of former seen sets (keyed by these work run ids) in the caller's
   * transaction: from then on nothing reads them as seen sets. Their partitions are dropped by
   * dropReleased after the transaction (or by the staging sweep, if that never comes).
   */
  async dropSeenSets(workIds: string[], tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM staging_marker WHERE run_id = ANY($1::uuid[])`, [workIds]);
  }

  /** Drops the staging partitions (and markers) of these work run ids. Not in a transaction. */
  async dropReleased(workIds: string[]): Promise<void> {
    for (const workId of workIds) await dropRunStaging(this.db, workId);
  }

  /** The run ids that have staging: one partition each (the catalogue lists them, however many rows they hold). */
  async stagedRunIds(): Promise<string[]> {
    return runIdsWithStaging(this.db);
  }

  /**
   * Releases the staging of work run `workId` through `sql`: the pool, or the transaction of a
   * caller that has no Db (a run closed because its workflow is gone, inside the transaction that
   * claims its task). Its marker goes (a resume would read the source again) and its partition is
   * emptied; the staging sweep drops the empty partition (dropReleased), which a transaction cannot.
   */
  static async releaseRun(sql: Sql, workId: string): Promise<void> {
    await emptyRunStaging(sql, workId);
  }
}

/**
 * The decision of each mapped record of a page against the target as it is now (PAGE_DECISION):
 * index probes per record (pagePlanSettings), only unique values, hashes and ids travel. Keyed by the
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
