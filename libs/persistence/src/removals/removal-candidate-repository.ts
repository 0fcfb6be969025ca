import type { ResourceKind } from '@app/temporal/contracts';
import { Db, type Sql, type StatementWatch } from '../db';
import { readWasComplete } from '../runs/run-repository';
import { withoutNestedLoops } from '../staging/staging-plans';
import type { DatacardRow } from '../target-store/target-store-repository';

/**
 * When each other task last read everything: the start of its latest succeeded full run (not a
 * dry run) whose read was complete (readWasComplete; a resumed run read at its root's start), and
 * that run's seen set: its staged unchanged ids, kept by finishRun under the id its activities
 * carried; seen_set_at says when it was kept (NULL for runs from before seen sets, which
 * refreshed every sighting instead).
 * A task with no such run yet has NULL, which the owner rule treats as "still sees everything it
 * sighted". `taskParam` is the statement's parameter that holds the asking task (left out).
 */
const otherOwnersReads = (taskParam: string) => `
  SELECT t.id AS task_id, b.read_started_at, b.seen_run, b.seen_set_at
    FROM import_task t
    LEFT JOIN LATERAL (
      SELECT COALESCE(root.started_at, r.started_at) AS read_started_at, COALESCE(r.resume_root_id, r.id) AS seen_run, r.seen_set_at
        FROM run r LEFT JOIN run root ON root.id = r.resume_root_id
       WHERE r.task_id = t.id AND r.status = 'succeeded' AND r.mode = 'full' AND NOT r.dry_run
         AND ${readWasComplete('COALESCE(r.resume_root_id, r.id)')}
       ORDER BY r.started_at DESC LIMIT 1) b ON true
   WHERE t.id <> ${taskParam}`;

/**
 * Whether the other owner's sighting `o` (joined with its task's row of otherOwnersReads as
 * `reads`) still sees its datacard: the task never completed a full read, or its latest complete
 * full read (or a later run) pushed the record, or that read found it unchanged or still listed
 * it while it failed on its own (its seen set).
 */
const OTHER_OWNER_SEES = `(reads.read_started_at IS NULL OR o.last_seen_at >= reads.read_started_at
    OR (reads.seen_set_at IS NOT NULL
        AND (EXISTS (SELECT 1 FROM staging_record st
                      WHERE st.run_id = reads.seen_run AND st.resource = o.kind AND st.source_id = o.source_id
                        AND st.decision IN ('unchanged', 'failed'))
             -- a seen set that crash recovery emptied (its marker is gone too) cannot tell: it sees
             OR NOT EXISTS (SELECT 1 FROM staging_marker m WHERE m.run_id = reads.seen_run))))`;

/**
 * The removal rule, for one mapping of task $3 in run $1 (template $4, kind $2). A datacard is
 * a candidate when
 *  - this task has a sighting of it (it owns it) of this kind, and it is not removed yet;
 *  - this run neither loaded it (sighting from an earlier run) nor staged its source id (a
 *    record that is still listed, unchanged or failing to map, is seen, not gone);
 *  - no other existing task still sees it (OTHER_OWNER_SEES), and none that never completed a
 *    full read has a sighting at all.
 * Run without nested loops (staging-plans.ts): it sets every sighting of the task against the
 * run's staging, and a run that read far less than the task owns must not make that quadratic.
 */
export const INSERT_CANDIDATES = `
  WITH reads AS MATERIALIZED (${otherOwnersReads('$3')})
  INSERT INTO removal_candidate (run_id, datacard_id, kind)
  SELECT $1, d.id, $2
    FROM datacard_sighting s
    JOIN datacard d ON d.id = s.datacard_id
   WHERE s.task_id = $3 AND s.kind = $2 AND d.template_code = $4
     AND s.last_run_id <> $1
     AND d.status <> 'removed'
     AND NOT EXISTS (SELECT 1 FROM staging_record st WHERE st.run_id = $1 AND st.resource = $2 AND st.source_id = s.source_id)
     AND NOT EXISTS (
       SELECT 1 FROM datacard_sighting o JOIN reads ON reads.task_id = o.task_id
        WHERE o.datacard_id = d.id AND ${OTHER_OWNER_SEES})
  ON CONFLICT DO NOTHING`;

/** Records of one mapping this task owns and has not removed: the base of the percentage. */
const ACTIVE_OWNED = `
  SELECT count(*) AS n FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id
   WHERE s.task_id = $1 AND s.kind = $2 AND d.template_code = $3 AND d.status <> 'removed'`;

/** How one batch of removals marks a card. */
export interface RemovalMark {
  kind: ResourceKind;
  /** the mapping's status attribute and the value that says removed */
  statusAttribute: string;
  removedValue: string;
}

/** One row of table removal_candidate: a datacard the run (the id its activities carry) would mark removed. */
export interface RemovalCandidateRow {
  runId: string;
  datacardId: string;
  kind: ResourceKind;
  /** its removal was applied (the card marked removed, with an outcome) */
  applied: boolean;
}

/** A candidate with its datacard as it is now (GET /runs/:id/removal-candidates). */
export type RemovalCandidateWithDatacard = RemovalCandidateRow &
  Pick<DatacardRow, 'uniqueValue' | 'templateCode' | 'folderCode' | 'status'> & {
    /** the first of the summary attributes of its kind the card has a value for (text or number), else null */
    summary: string | null;
  };

/** Per kind, the datacard attribute codes that may sum a card up, in order of preference. */
export type SummaryAttributes = Partial<Record<ResourceKind, string[]>>;

/** Longest summary shown: a person reads it, a page of a thousand must stay small. */
const SUMMARY_MAX_CHARS = 200;

/** Columns of removal_candidate as pg returns them. */
interface RemovalCandidateColumns {
  run_id: string;
  datacard_id: string;
  kind: ResourceKind;
  applied: boolean;
}

/** The candidate's columns with the datacard columns pageWithDatacards joins. */
interface RemovalCandidateWithDatacardColumns extends RemovalCandidateColumns {
  unique_value: string;
  template_code: string;
  folder_code: string;
  status: string;
  summary: string | null;
}

/** The one mapper from removal_candidate's columns to RemovalCandidateRow. */
export function removalCandidateRowFrom(c: RemovalCandidateColumns): RemovalCandidateRow {
  return { runId: c.run_id, datacardId: c.datacard_id, kind: c.kind, applied: c.applied };
}

/**
 * Table removal_candidate: the records a full run would mark removed, computed once (keyed by the
 * id the run's activities carry) and applied in batches. Applying a batch marks the datacards
 * removed and records their outcomes in the same statement (applyBatch).
 */
export class RemovalCandidateRepository {
  constructor(private readonly db: Sql) {}

  /** A statement that may run long: watched (heartbeats, cancellable) when the repository runs on the pool. */
  private async long<R extends { n: string }>(watch: StatementWatch | undefined, text: string, params: unknown[]) {
    return watch && this.db instanceof Db ? this.db.longQuery<R>(watch, text, params) : this.db.query<R>(text, params);
  }

  /** Records of one mapping the task owns and has not removed (the base of the safety percentage). */
  async activeOwned(taskId: string, kind: ResourceKind, templateCode: string, watch?: StatementWatch): Promise<number> {
    const { rows } = await this.long<{ n: string }>(watch, ACTIVE_OWNED, [taskId, kind, templateCode]);
    return Number(rows[0].n);
  }

  /**
   * Computes the run's candidate set afresh, mapping by mapping (in the caller's transaction, which
   * it switches to joins without nested loops). Returns the candidates per kind.
   */
  async compute(
    run: { id: string; taskId: string },
    mappings: Array<{ kind: ResourceKind; templateCode: string }>,
    tx: Sql = this.db,
  ): Promise<Map<ResourceKind, number>> {
    const counts = new Map<ResourceKind, number>();
    await tx.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [run.id]);
    await withoutNestedLoops(tx);
    for (const m of mappings) {
      const inserted = await tx.query(INSERT_CANDIDATES, [run.id, m.kind, run.taskId, m.templateCode]);
      counts.set(m.kind, inserted.rowCount ?? 0);
    }
    return counts;
  }

  /** Whether the run has a candidate set (finishRun drops it). */
  async exists(runId: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM removal_candidate WHERE run_id = $1 LIMIT 1`, [runId]);
    return rows.length > 0;
  }

  /**
   * Drops the candidates not yet applied that another task saw after `since` (when the set was
   * computed): pushed by another task's run, or found unchanged by its complete full read.
   * Returns how many.
   */
  async dropSeenSince(runId: string, taskId: string, since: string): Promise<number> {
    const seen = await this.db.query(
      `WITH reads AS MATERIALIZED (${otherOwnersReads('$2')})
       DELETE FROM removal_candidate c
        WHERE c.run_id = $1 AND NOT c.applied
          AND EXISTS (
            SELECT 1 FROM datacard_sighting o LEFT JOIN reads ON reads.task_id = o.task_id
             WHERE o.datacard_id = c.datacard_id AND o.task_id <> $2
               AND (o.last_seen_at > $3 OR (reads.seen_set_at > $3 AND ${OTHER_OWNER_SEES})))`,
      [runId, taskId, since],
    );
    return seen.rowCount ?? 0;
  }

  /**
   * Applies the next batch of the run's candidates of one kind (in the caller's transaction): the
   * status attribute set to the removed value, datacard status `removed`, one `removed` outcome
   * per datacard on the showing row `rowId`, the candidates marked applied. Returns the candidates
   * it took (0: none left) and the cards it removed (a card already removed has no outcome).
   * One statement writes removal_candidate, datacard and run_record: the batch is locked and
   * materialised once, and each write reads the one before it (RETURNING), so they cannot drift
   * apart and a batch costs one round trip. It lives here because the candidate set drives it.
   */
  async applyBatch(
    run: { id: string; rowId: string; taskId: string },
    mark: RemovalMark,
    batchSize: number,
    tx: Sql = this.db,
  ): Promise<{ batch: number; removed: number }> {
    const { rows } = await tx.query<{ batch: string; removed: string }>(
      `WITH batch AS MATERIALIZED (
         SELECT c.datacard_id FROM removal_candidate c
          WHERE c.run_id = $1 AND c.kind = $2 AND NOT c.applied
          ORDER BY c.datacard_id LIMIT $3 FOR UPDATE),
       marked AS (
         UPDATE datacard d SET attributes = d.attributes || jsonb_build_object($5::text, $6::text),
                status = 'removed', task_id = $4, updated_at = now()
           FROM batch b WHERE d.id = b.datacard_id AND d.status <> 'removed'
         RETURNING d.id, d.unique_value),
       rec AS (
         INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome)
         SELECT $7, $2, s.source_id, m.unique_value, m.id, 'removed'
           FROM marked m LEFT JOIN datacard_sighting s ON s.datacard_id = m.id AND s.task_id = $4
         RETURNING 1),
       done AS (
         UPDATE removal_candidate c SET applied = true FROM batch b WHERE c.run_id = $1 AND c.datacard_id = b.datacard_id RETURNING 1)
       SELECT (SELECT count(*) FROM done) AS batch, (SELECT count(*) FROM rec) AS removed`,
      [run.id, mark.kind, batchSize, run.taskId, mark.statusAttribute, mark.removedValue, run.rowId],
    );
    return { batch: Number(rows[0].batch), removed: Number(rows[0].removed) };
  }

  /** Drops the run's whole candidate set. */
  async drop(runId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [runId]);
  }

  /** Drops the candidates of work run `workId` that were not applied (applied ones say what was removed). */
  async dropPending(workId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM removal_candidate WHERE run_id = $1 AND NOT applied`, [workId]);
  }

  /** The work run ids that have candidates not yet applied. */
  async pendingRunIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ run_id: string }>(`SELECT DISTINCT run_id FROM removal_candidate WHERE NOT applied`);
    return rows.map((r) => r.run_id);
  }

  /**
   * Up to `limit` candidates of work run `workId` with their datacards as they are now, in
   * datacard id order after the last one seen (GET /runs/:id/removal-candidates), each with its
   * summary: the first attribute of `summaryAttributes` for its kind the card has a value for.
   */
  async pageWithDatacards(
    workId: string,
    limit: number,
    afterDatacardId?: string,
    summaryAttributes: SummaryAttributes = {},
  ): Promise<RemovalCandidateWithDatacard[]> {
    const { rows } = await this.db.query<RemovalCandidateWithDatacardColumns>(
      `SELECT c.run_id, c.datacard_id, c.kind, c.applied, d.unique_value, d.template_code, d.folder_code, d.status,
              (SELECT left(v.value, $5) FROM jsonb_array_elements_text(COALESCE($4::jsonb -> c.kind, '[]'::jsonb)) WITH ORDINALITY AS k(code, n)
                 CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(d.attributes -> k.code) IN ('string', 'number') AND btrim(d.attributes ->> k.code) <> ''
                                                 THEN d.attributes ->> k.code END AS value) v
                WHERE v.value IS NOT NULL ORDER BY k.n LIMIT 1) AS summary
         FROM removal_candidate c JOIN datacard d ON d.id = c.datacard_id
        WHERE c.run_id = $1 AND ($2::uuid IS NULL OR c.datacard_id > $2::uuid)
        ORDER BY c.datacard_id LIMIT $3`,
      [workId, afterDatacardId ?? null, limit, JSON.stringify(summaryAttributes), SUMMARY_MAX_CHARS],
    );
    return rows.map((r) => ({
      ...removalCandidateRowFrom(r),
      uniqueValue: r.unique_value,
      templateCode: r.template_code,
      folderCode: r.folder_code,
      status: r.status,
      summary: r.summary,
    }));
  }
}
