import type { FailureRef, ResourceKind, RunStatsView } from '@app/temporal/contracts';
import type { Sql } from '../db';
import { EMPTY_STATS, runRowFrom, type RunColumns, type RunMode, type RunPhase, type RunRow, type RunStatus, type RunTrigger } from './run-row';
import { isUniqueViolation } from '../unique-violation';

/**
 * Unchanged records of a run that read its source again after its staging was lost ($1 run id,
 * $2 run row id), without those loaded before the loss (they keep their first outcome).
 */
export const UNCHANGED_AFTER_REDO = `SELECT count(*) AS n FROM (
    SELECT s.resource, s.source_id FROM staging_record s WHERE s.run_id = $1 AND s.decision = 'unchanged'
    EXCEPT
    SELECT r.kind, r.source_id FROM run_record r WHERE r.run_id = $2 AND r.outcome IN ('created', 'updated')) x`;

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

/**
 * One resource of a read (row `e` of run_extract) was complete: read to the end by a listing that
 * proved it saw the whole set. run_extract is where extract records this (with the checkpoint, in
 * one transaction); run.extract_reports only mirrors it onto the showing row for the API.
 */
const RESOURCE_READ_COMPLETE = `(e.done AND COALESCE(e.report->>'complete' = 'true', false))`;

/**
 * SQL: whether the read of the run whose activities carry `workId` (an expression) was complete:
 * it read at least one resource, and every one completely. The set-based form of
 * RunRepository.readCompleteness, for statements that pick runs by it. An aggregate subquery is
 * never flattened into a join, so it stays a probe of run_extract's primary key per run, also in
 * statements run without nested loops.
 */
export const readWasComplete = (workId: string): string =>
  `(SELECT count(*) > 0 AND bool_and(${RESOURCE_READ_COMPLETE}) FROM run_extract e WHERE e.run_id = ${workId})`;

/**
 * SQL: run.phase_log with `phase` (an SQL text expression) appended at now(), unless it is the
 * phase the log ends with (an activity retried, or the next chunk of the same step).
 */
const phaseLogWith = (phase: string, log = 'phase_log'): string =>
  `CASE WHEN ${log}->-1->>'phase' IS DISTINCT FROM ${phase} THEN ${log} || jsonb_build_array(jsonb_build_object('phase', ${phase}, 'at', now())) ELSE ${log} END`;

/** How far the read of one resource has come (table run_extract), for a running run's progress. */
export interface ResourceReadProgress {
  resource: ResourceKind;
  path: string;
  /** distinct records staged */
  fetched: number;
  done: boolean;
  /** listed without the incremental filter */
  fullRead: boolean;
  /** when the read began (again, if it started over); null for a read begun before this was kept */
  startedAt: Date | null;
  /** when the checkpoint last moved: the end of a read that is done */
  updatedAt: Date;
  /** the listing's latest totalResults; null while it announced none */
  totalResults: number | null;
}

/** What a running run's progress is computed from (RunRepository.progressFacts). */
export interface RunProgressFacts {
  /** the database's clock, which wrote every time above */
  now: Date;
  /** the resources whose read has begun */
  reads: ResourceReadProgress[];
  /** records per resource of the task's latest succeeded run whose read was complete and full; null when there is none */
  lastCompleteRead: Partial<Record<ResourceKind, number>> | null;
}

interface ResourceReadProgressJson {
  resource: ResourceKind;
  path: string;
  fetched: number;
  done: boolean;
  fullRead: boolean;
  startedAt: string | null;
  updatedAt: string;
  totalResults: number | null;
}

/** One resource of a run's read, as far as its completeness goes (table run_extract). */
export interface ResourceRead {
  resource: ResourceKind;
  path: string;
  /** read to the end */
  done: boolean;
  /** distinct records staged */
  fetched: number;
  /** listed without the incremental filter */
  fullRead: boolean;
  /** read to the end by a listing that proved it saw the whole set */
  complete: boolean;
  /** the listing's own word on why it could not prove that */
  reason: string | null;
  /** distinct ids the listing reported */
  distinctIds: number | null;
}

/** The answer to "was this read complete?", with each resource and its reason. */
export interface ReadCompleteness {
  /** at least one resource was read, and every one completely (readWasComplete in SQL) */
  complete: boolean;
  resources: ResourceRead[];
}

const RESOURCE_READ_COLUMNS = `e.run_id, e.resource, e.path, e.done, e.fetched, e.full_read, ${RESOURCE_READ_COMPLETE} AS complete,
       e.report->>'reason' AS reason, (e.report->>'distinctIds')::int AS distinct_ids`;

interface ResourceReadColumns {
  run_id: string;
  resource: ResourceKind;
  path: string;
  done: boolean;
  fetched: number;
  full_read: boolean;
  complete: boolean;
  reason: string | null;
  distinct_ids: number | null;
}

function resourceReadFrom(c: ResourceReadColumns): ResourceRead {
  return { resource: c.resource, path: c.path, done: c.done, fetched: Number(c.fetched), fullRead: c.full_read, complete: c.complete, reason: c.reason, distinctIds: c.distinct_ids };
}

function completenessOf(resources: ResourceRead[]): ReadCompleteness {
  return { complete: resources.length > 0 && resources.every((r) => r.complete), resources };
}

/** The filters of GET /runs; each given one narrows the list. */
export interface RunListFilter {
  taskId?: string;
  /** runs of the tasks that read from this connector */
  connectorId?: string;
  statuses?: RunStatus[];
  trigger?: RunTrigger;
  mode?: RunMode;
  /** ISO time, inclusive */
  startedAfter?: string;
  /** ISO time, exclusive */
  startedBefore?: string;
  dryRun?: boolean;
}

/** Where a page of runs ended: started_at to the microsecond (ISO text) and the id. */
export interface RunPageKey {
  startedAt: string;
  id: string;
}

/** Every column of `run` but the config snapshot, on alias r. */
const RUN_COLUMNS_BUT_SNAPSHOT = `r.id, r.task_id, r.workflow_id, r.temporal_run_id, r.mode, r.trigger, r.status, r.phase, r.started_at, r.finished_at,
       r.stats, r.error, r.retry_of, r.resume_root_id, r.extract_reports, r.removal, r.notes, r.dry_run, r.staging_redos,
       r.staging_released_at, r.seen_set_at`;

/** started_at of alias r as exact ISO text (microseconds, UTC): a page key that loses nothing. */
const PAGE_KEY = `to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** What became of one record in a run (table run_record). */
export type RunRecordOutcome = 'created' | 'updated' | 'unchanged' | 'removed' | 'failed';

/**
 * One row of table run_record: one record's outcome in a run, on the run row that shows it (a
 * resume row gets copies of its old row's outcomes). No foreign key: a load writes them by the
 * hundred thousand.
 */
export interface RunRecordRow {
  /** bigserial, in the order outcomes were written (the page cursor) */
  id: string;
  runId: string;
  kind: string;
  /** null for a record the listing could not use (no id) */
  sourceId: string | null;
  uniqueValue: string | null;
  datacardId: string | null;
  outcome: RunRecordOutcome;
  message: string | null;
}

/** Columns of run_record as pg returns them (bigint as text). */
interface RunRecordColumns {
  id: string;
  run_id: string;
  kind: string;
  source_id: string | null;
  unique_value: string | null;
  datacard_id: string | null;
  outcome: RunRecordOutcome;
  message: string | null;
}

/** The one mapper from run_record's columns to RunRecordRow. */
export function runRecordRowFrom(c: RunRecordColumns): RunRecordRow {
  return {
    id: c.id,
    runId: c.run_id,
    kind: c.kind,
    sourceId: c.source_id,
    uniqueValue: c.unique_value,
    datacardId: c.datacard_id,
    outcome: c.outcome,
    message: c.message,
  };
}

/**
 * The run as the activities work on it. A projection of RunRow, not the row: the identity and
 * snapshot come from the row of the id the activities carry, the status from the row that shows
 * this execution (they differ after a resume). The snapshot's type is the import's (libs/import
 * types it where it reads the run).
 */
export type RunAtWork<S = unknown> = Pick<RunRow, 'id' | 'taskId' | 'workflowId' | 'mode' | 'startedAt' | 'dryRun'> & {
  /**
   * `id` is the run id the workflow's activities carry. Staging, extract checkpoints, sightings and
   * removal candidates are keyed by it, so they survive a resume from history. `rowId` is the run
   * row that shows this execution: `id`, or the newest row that resumes it (see rowOf).
   */
  rowId: string;
  /** status of the showing row */
  status: RunStatus;
  /** the task and connector configuration prepareRun fixed for the run; `startedAt`: its read began then */
  snapshot: S;
};

/** A 'running' row as the housekeeping sees it. */
export interface OpenRun {
  id: string;
  /** the workflow's id (without the `#resume-…` suffix of a row that resumes a run) */
  workflowId: string;
  temporalRunId: string | null;
  startedAt: Date;
}

/** What recording a failure needs from the run: its task, the configurations that name the failure folder, whether it is a dry run. */
export interface FailureContext {
  taskId: string;
  snapshot: unknown;
  taskConfig: unknown;
  dryRun: boolean;
}

/**
 * Run rows: phase, live counts, notes, extract reports, outcomes, removal state, the run's end.
 *
 * After POST /runs/:id/retry {resume} the reset workflow replays the old activity results, so
 * every activity still gets the old run id R1. The API created a new row R2 (retry_of = R1,
 * resume_root_id = R1) that must show the continued run. `rowOf` is the one place that maps
 * the id the activities carry to the row that shows it; every write of run-level state
 * (status, phase, counts, per-record outcomes, removal state, error) goes through it, while
 * work data (staging, checkpoints, sightings, removal candidates) stays keyed by R1.
 */
export class RunRepository {
  /** showing rows already looked up; only for a repository that lives as long as one activity */
  private readonly showing?: Map<string, string>;

  /**
   * `perActivity`: the repository serves one activity attempt, so the showing row it looks up
   * cannot change meanwhile (a resume happens only after the workflow failed) and is remembered.
   * A long-lived repository (the API's) asks every time.
   */
  constructor(
    private readonly db: Sql,
    options: { perActivity?: boolean } = {},
  ) {
    if (options.perActivity) this.showing = new Map();
  }

  /** The row that shows run `runId`: the newest row resuming it, else the run itself. */
  async rowOf(runId: string): Promise<string> {
    const known = this.showing?.get(runId);
    if (known) return known;
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM run WHERE resume_root_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1`,
      [runId],
    );
    const rowId = rows[0]?.id ?? runId;
    this.showing?.set(runId, rowId);
    return rowId;
  }

  /** The run with its config snapshot; null when it does not exist or was not prepared. */
  async atWork<S = unknown>(runId: string): Promise<RunAtWork<S> | null> {
    const rowId = await this.rowOf(runId);
    const { rows } = await this.db.query<{
      id: string; task_id: string; workflow_id: string; mode: RunMode; status: RunStatus;
      started_at: Date; config_snapshot: S | null; dry_run: boolean;
    }>(
      `SELECT r.id, r.task_id, r.workflow_id, r.mode, s.status, r.started_at, r.config_snapshot, r.dry_run
         FROM run r JOIN run s ON s.id = $2 WHERE r.id = $1`,
      [runId, rowId],
    );
    const row = rows[0];
    if (!row || !row.config_snapshot) return null;
    return {
      id: row.id, rowId, taskId: row.task_id, workflowId: row.workflow_id, mode: row.mode, status: row.status,
      startedAt: row.started_at, snapshot: row.config_snapshot, dryRun: row.dry_run === true,
    };
  }

  /**
   * Marks the phase an activity works in. A run reset from the Temporal UI (no resume row) runs
   * again under its own row, so the status goes back to running (the one-running-run index still
   * guards the task).
   */
  async enterPhase(runId: string, phase: RunPhase): Promise<void> {
    await this.db.query(
      `UPDATE run SET phase = $2, status = 'running', finished_at = NULL,
              error = CASE WHEN status = 'running' THEN error ELSE NULL END,
              phase_log = ${phaseLogWith('$2::text')}
        WHERE id = $1`,
      [await this.rowOf(runId), phase],
    );
  }

  /** Adds to the live counts (inside the same transaction as the work they count). */
  async addStats(runId: string, delta: Partial<RunStatsView>, tx: Sql = this.db): Promise<void> {
    const entries = Object.entries(delta).filter(([, v]) => v !== undefined && v !== 0);
    if (entries.length === 0) return;
    const set = entries.map(([k], i) => `'${k}', COALESCE((stats->>'${k}')::int, 0) + $${i + 2}::int`).join(', ');
    await tx.query(`UPDATE run SET stats = stats || jsonb_build_object(${set}) WHERE id = $1`, [await this.rowOf(runId), ...entries.map(([, v]) => v)]);
  }

  /** Sets chosen counts to absolute values. */
  async setStats(runId: string, values: Partial<RunStatsView>): Promise<void> {
    await this.db.query(`UPDATE run SET stats = stats || $2::jsonb WHERE id = $1`, [await this.rowOf(runId), JSON.stringify(values)]);
  }

  /** Current counts as shown by the API. */
  async stats(runId: string): Promise<RunStatsView> {
    const { rows } = await this.db.query<{ stats: RunStatsView }>(`SELECT stats FROM run WHERE id = $1`, [await this.rowOf(runId)]);
    return { ...EMPTY_STATS, ...(rows[0]?.stats ?? {}) };
  }

  /**
   * Records the run found unchanged: counted from its staging (they write nothing and get no
   * outcome row). Staging is keyed by the run id the activities carry.
   */
  async countUnchanged(runId: string): Promise<number> {
    const rowId = await this.rowOf(runId);
    const { rows: redo } = await this.db.query<{ redone: boolean }>(`SELECT EXISTS (SELECT 1 FROM run WHERE id = $1 AND staging_redos > 0) AS redone`, [runId]);
    // after a staging redo the records loaded before the loss read as unchanged the second time:
    // they keep their first outcome (created stays created) and are not counted twice. EXCEPT
    // reads each side once, whatever the statistics say (a lookup of the outcomes per staged row
    // has no index to use and would read every outcome of the run for each)
    const { rows } = await this.db.query<{ n: string }>(
      redo[0]?.redone
        ? UNCHANGED_AFTER_REDO
        : `SELECT count(*) AS n FROM staging_record s WHERE s.run_id = $1 AND s.decision = 'unchanged'`,
      redo[0]?.redone ? [runId, rowId] : [runId],
    );
    return Number(rows[0].n);
  }

  /**
   * Authoritative counts: fetched from the extract checkpoints, unchanged from staging, the rest
   * from per-record outcomes.
   */
  async recomputeStats(runId: string): Promise<RunStatsView> {
    const rowId = await this.rowOf(runId);
    const { rows } = await this.db.query<{ outcome: keyof RunStatsView; n: string }>(
      `SELECT outcome, count(*) AS n FROM run_record WHERE run_id = $1 GROUP BY outcome`,
      [rowId],
    );
    const fetched = await this.db.query<{ n: string | null }>(`SELECT sum(fetched) AS n FROM run_extract WHERE run_id = $1`, [runId]);
    const stats: RunStatsView = { ...EMPTY_STATS, fetched: Number(fetched.rows[0]?.n ?? 0) };
    for (const r of rows) stats[r.outcome] = Number(r.n);
    // unchanged records have no outcome row (a run started before that change may still have
    // them, for the same records: the larger count is the one)
    stats.unchanged = Math.max(stats.unchanged, await this.countUnchanged(runId));
    await this.setStats(runId, stats);
    return stats;
  }

  /** Appends an operator-facing note once (retries do not repeat it). */
  async addNote(runId: string, note: string): Promise<void> {
    await this.db.query(
      `UPDATE run SET notes = notes || to_jsonb($2::text) WHERE id = $1 AND NOT notes @> to_jsonb(ARRAY[$2::text])`,
      [await this.rowOf(runId), note],
    );
  }

  /** Replaces the removal state shown as `removal` in GET /runs/:id. */
  async setRemoval(runId: string, removal: object, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE run SET removal = $2::jsonb WHERE id = $1`, [await this.rowOf(runId), JSON.stringify(removal)]);
  }

  /** The stored removal state, if any. */
  async removal<T>(runId: string): Promise<T | null> {
    const { rows } = await this.db.query<{ removal: T | null }>(`SELECT removal FROM run WHERE id = $1`, [await this.rowOf(runId)]);
    return rows[0]?.removal ?? null;
  }

  /**
   * Was this read complete? Each resource of the run's read (keyed by the id its activities carry)
   * with its completeness and reason. The one answer: finishRun keeps a seen set only for a
   * complete read, reconcileRemovals never removes after an incomplete one, schedule advice
   * measures the source only by a complete one (latestFullReads).
   */
  async readCompleteness(runId: string, tx: Sql = this.db): Promise<ReadCompleteness> {
    const { rows } = await tx.query<ResourceReadColumns>(`SELECT ${RESOURCE_READ_COLUMNS} FROM run_extract e WHERE e.run_id = $1 ORDER BY e.resource`, [runId]);
    return completenessOf(rows.map(resourceReadFrom));
  }

  /**
   * Per task, the latest succeeded run whose read was complete and listed every resource without
   * the incremental filter: the run that measured the source. `runId` is its showing row.
   */
  async latestFullReads(taskIds: string[]): Promise<Array<{ taskId: string; runId: string; read: ReadCompleteness }>> {
    if (taskIds.length === 0) return [];
    const { rows: latest } = await this.db.query<{ task_id: string; id: string; work_id: string }>(
      `SELECT t.task_id, r.id, r.work_id
         FROM unnest($1::uuid[]) AS t(task_id)
         JOIN LATERAL (
           SELECT r.id, COALESCE(r.resume_root_id, r.id) AS work_id FROM run r
            WHERE r.task_id = t.task_id AND r.status = 'succeeded'
              AND ${readWasComplete('COALESCE(r.resume_root_id, r.id)')}
              AND NOT EXISTS (SELECT 1 FROM run_extract e WHERE e.run_id = COALESCE(r.resume_root_id, r.id) AND NOT e.full_read)
            ORDER BY r.started_at DESC LIMIT 1) r ON true`,
      [taskIds],
    );
    if (latest.length === 0) return [];
    const { rows } = await this.db.query<ResourceReadColumns>(
      `SELECT ${RESOURCE_READ_COLUMNS} FROM run_extract e WHERE e.run_id = ANY($1::uuid[]) ORDER BY e.run_id, e.resource`,
      [latest.map((l) => l.work_id)],
    );
    return latest.map((l) => ({ taskId: l.task_id, runId: l.id, read: completenessOf(rows.filter((r) => r.run_id === l.work_id).map(resourceReadFrom)) }));
  }

  /**
   * What the progress of run row `run` is computed from, in one statement: the reads of its work
   * run (run_extract, a row per resource) and the records per resource of the task's latest
   * succeeded run whose read was complete and full (the run that measured the source, as
   * latestFullReads finds it). Reads no staging: cheap enough to poll on a run of any size.
   */
  async progressFacts(run: Pick<RunRow, 'id' | 'taskId' | 'resumeRootId'>): Promise<RunProgressFacts> {
    const { rows } = await this.db.query<{ now: Date; reads: ResourceReadProgressJson[]; last_read: Partial<Record<ResourceKind, number>> | null }>(
      `SELECT now() AS now,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('resource', e.resource, 'path', e.path, 'fetched', e.fetched, 'done', e.done,
                                  'fullRead', e.full_read, 'startedAt', e.started_at, 'updatedAt', e.updated_at, 'totalResults', e.total_results)
                                ORDER BY e.resource)
                          FROM run_extract e WHERE e.run_id = $1), '[]'::jsonb) AS reads,
              (SELECT jsonb_object_agg(e.resource, e.fetched) FROM run_extract e
                WHERE e.run_id = (
                  SELECT COALESCE(p.resume_root_id, p.id) FROM run p
                   WHERE p.task_id = $2 AND p.status = 'succeeded' AND COALESCE(p.resume_root_id, p.id) <> $1
                     AND ${readWasComplete('COALESCE(p.resume_root_id, p.id)')}
                     AND NOT EXISTS (SELECT 1 FROM run_extract f WHERE f.run_id = COALESCE(p.resume_root_id, p.id) AND NOT f.full_read)
                   ORDER BY p.started_at DESC LIMIT 1)) AS last_read`,
      [run.resumeRootId ?? run.id, run.taskId],
    );
    const r = rows[0];
    return {
      now: r.now,
      reads: r.reads.map((e) => ({
        resource: e.resource,
        path: e.path,
        fetched: Number(e.fetched),
        done: e.done,
        fullRead: e.fullRead,
        startedAt: e.startedAt ? new Date(e.startedAt) : null,
        updatedAt: new Date(e.updatedAt),
        totalResults: e.totalResults === null ? null : Number(e.totalResults),
      })),
      lastCompleteRead: r.last_read,
    };
  }

  /**
   * What load will write, as diff decided it: `total` records to create or update. The row's
   * created and updated counts until then (loads of a resumed run's earlier execution, or before
   * a staging redo) are kept apart, so load's progress counts only this load's writes.
   */
  async recordLoadPlan(runId: string, total: number): Promise<void> {
    await this.db.query(
      `UPDATE run SET load_total = $2, load_written_before = COALESCE((stats->>'created')::int, 0) + COALESCE((stats->>'updated')::int, 0) WHERE id = $1`,
      [await this.rowOf(runId), total],
    );
  }

  // what extract shows on the run: its fetched count, extract reports, unusable records, staging redos
  // (in the transaction of the StagingRepository statement they go with)

  /** stats.fetched of row `rowId` = the distinct records staged so far for run `runId`, from its extract checkpoints. */
  async refreshFetched({ runId, rowId }: { runId: string; rowId: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE run SET stats = jsonb_set(stats, '{fetched}', to_jsonb((SELECT COALESCE(sum(fetched), 0)::int FROM run_extract WHERE run_id = $1)))
        WHERE id = $2`,
      [runId, rowId],
    );
  }

  /** Mirrors the completeness reports of run `runId`'s finished reads onto row `rowId` (extract_reports, shown by the API). */
  async mirrorExtractReports({ runId, rowId }: { runId: string; rowId: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE run SET extract_reports = COALESCE((
          SELECT jsonb_agg(report || jsonb_build_object('resource', resource, 'path', path, 'fullRead', full_read) ORDER BY resource)
            FROM run_extract WHERE run_id = $1 AND done), '[]'::jsonb)
        WHERE id = $2`,
      [runId, rowId],
    );
  }

  /** The records of a page the listing could not use (no id, not an object): each a failed outcome of row `rowId` with its message. */
  async recordRejected({ rowId, kind, messages }: { rowId: string; kind: ResourceKind; messages: string[] }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO run_record (run_id, kind, outcome, message)
       SELECT $1, $2, 'failed', u.message FROM jsonb_to_recordset($3::jsonb) AS u(message text)`,
      [rowId, kind, JSON.stringify(messages.map((message) => ({ message })))],
    );
  }

  /**
   * The run reads its source again after its staging was lost: run `runId` counts one more redo,
   * row `rowId` drops its failed outcomes (the redo finds them again) and its extract reports, and
   * gets the note `note` writes for the redo's number.
   */
  async recordStagingRedo({ runId, rowId, note }: { runId: string; rowId: string; note: (redo: number) => string }, tx: Sql = this.db): Promise<void> {
    const redo = await tx.query<{ staging_redos: number }>(`UPDATE run SET staging_redos = staging_redos + 1 WHERE id = $1 RETURNING staging_redos`, [runId]);
    await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome = 'failed'`, [rowId]);
    await tx.query(`UPDATE run SET extract_reports = '[]'::jsonb, notes = notes || to_jsonb($2::text) WHERE id = $1`, [
      rowId,
      note(redo.rows[0]?.staging_redos ?? 1),
    ]);
  }

  // closing a run: succeeded, cancelled, failed, or closed after its workflow was gone

  /**
   * Declares the run succeeded (in the transaction that proved everything landed). An incremental
   * run has no reconcile step; it still says why it removed nothing.
   */
  async succeed(runId: string, mode: RunMode, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE run SET status = 'succeeded', phase = 'done', finished_at = now(), error = NULL,
              removal = CASE WHEN removal IS NULL AND $2 = 'incremental'
                             THEN jsonb_build_object('state', 'skipped', 'reason', 'incremental runs never remove: they do not read everything')
                             ELSE removal END
        WHERE id = $1`,
      [await this.rowOf(runId), mode],
    );
  }

  /** Whether the run kept its read's unchanged ids as its task's seen set. */
  async keepsSeenSet(runId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ kept: boolean }>(`SELECT seen_set_at IS NOT NULL AS kept FROM run WHERE id = $1`, [await this.rowOf(runId)]);
    return rows[0]?.kept === true;
  }

  /** Takes the seen set away from every run of the task; returns the ids their staging is keyed by. */
  async dropSeenSets(taskId: string, tx: Sql = this.db): Promise<string[]> {
    const { rows } = await tx.query<{ work_id: string }>(
      `UPDATE run SET seen_set_at = NULL WHERE task_id = $1 AND seen_set_at IS NOT NULL RETURNING COALESCE(resume_root_id, id) AS work_id`,
      [taskId],
    );
    return rows.map((r) => r.work_id);
  }

  /** The run's staged unchanged and failed ids are its task's seen set from now on. */
  async keepSeenSet(runId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE run SET seen_set_at = now() WHERE id = $1`, [await this.rowOf(runId)]);
  }

  /**
   * Marks a running run cancelled. Removals not yet applied (waiting for a decision, or mid-way)
   * are dropped; the removal state says how many were applied.
   */
  async cancel(runId: string): Promise<void> {
    await this.db.query(
      `UPDATE run SET status = 'cancelled', phase = 'cancelled', finished_at = now(),
              removal = CASE WHEN removal->>'state' IN ('awaitingApproval', 'applying')
                             THEN removal || jsonb_build_object('state', 'cancelled', 'reason', 'the run was cancelled before its removals were applied',
                                                                'removed', (SELECT count(*) FROM removal_candidate c WHERE c.run_id = $2 AND c.applied))
                             ELSE removal END
        WHERE id = $1 AND status = 'running'`,
      [await this.rowOf(runId), runId],
    );
  }

  /** The run row of a workflow execution, if it has one. */
  async idOfWorkflow(workflowId: string, tx: Sql = this.db): Promise<string | undefined> {
    const { rows } = await tx.query<{ id: string }>(`SELECT id FROM run WHERE workflow_id = $1`, [workflowId]);
    return rows[0]?.id;
  }

  /** A failed run row for a workflow that failed before it had one; returns its id. */
  async insertFailed(ref: FailureRef, tx: Sql = this.db): Promise<string> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, finished_at)
       SELECT $1, $2, $3, COALESCE((SELECT type FROM import_task WHERE id = $1), 'full'), $4, 'failed', 'failed', now()
       ON CONFLICT (workflow_id) DO UPDATE SET status = 'failed' RETURNING id`,
      [ref.taskId, ref.workflowId, ref.temporalRunId ?? null, ref.trigger ?? 'schedule'],
    );
    return rows[0].id;
  }

  /** The run's task, snapshot and the task's configuration now (either names the failure folder). */
  async failureContext(runId: string, tx: Sql = this.db): Promise<FailureContext | null> {
    const { rows } = await tx.query<{ task_id: string; snapshot: unknown; config: unknown; dry_run: boolean }>(
      `SELECT r.task_id, r.config_snapshot AS snapshot, t.config, r.dry_run FROM run r LEFT JOIN import_task t ON t.id = r.task_id WHERE r.id = $1`,
      [runId],
    );
    const r = rows[0];
    return r ? { taskId: r.task_id, snapshot: r.snapshot, taskConfig: r.config, dryRun: r.dry_run === true } : null;
  }

  /** Marks the row `rowId` failed with its (redacted) error. */
  async markFailed(rowId: string, error: { type: string; message: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE run SET status = 'failed', phase = 'failed', finished_at = now(), error = $2::jsonb WHERE id = $1`,
      [rowId, JSON.stringify(error)],
    );
  }

  /**
   * Closes a 'running' row whose workflow is gone, with the status and error Temporal reports.
   * Removals not yet applied are dropped. Returns the id its work data is keyed by, or null when
   * the row was no longer running.
   */
  async closeFromTemporal(
    rowId: string,
    closed: { status: RunStatus; error: { type: string; message: string }; closedAt?: Date },
    tx: Sql = this.db,
  ): Promise<string | null> {
    const { rows } = await tx.query<{ work_id: string }>(
      `UPDATE run SET status = $2, phase = $2, finished_at = COALESCE($4::timestamptz, now()), error = $3::jsonb,
              removal = CASE WHEN removal->>'state' IN ('awaitingApproval', 'applying')
                             THEN removal || jsonb_build_object('state', 'cancelled', 'reason', 'the run ended (' || $2 || ') before its removals were applied')
                             ELSE removal END
        WHERE id = $1 AND status = 'running'
        RETURNING COALESCE(resume_root_id, id) AS work_id`,
      [rowId, closed.status, JSON.stringify(closed.error), closed.closedAt ?? null],
    );
    return rows[0]?.work_id ?? null;
  }

  /** Notes on the closed rows of work run `workId` when its staging was released. */
  async markStagingReleased(workId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE run SET staging_released_at = now() WHERE (id = $1 OR resume_root_id = $1) AND staging_released_at IS NULL AND status <> 'running'`, [workId]);
  }

  /** The 'running' rows (of one task or run, or all), oldest first. */
  async openRuns(filter: { taskId?: string; runId?: string } = {}): Promise<OpenRun[]> {
    const { rows } = await this.db.query<{ id: string; workflow_id: string; temporal_run_id: string | null; started_at: Date }>(
      `SELECT id, split_part(workflow_id, '#', 1) AS workflow_id, temporal_run_id, started_at FROM run
        WHERE status = 'running' AND ($1::uuid IS NULL OR task_id = $1) AND ($2::uuid IS NULL OR id = $2)
        ORDER BY started_at`,
      [filter.taskId ?? null, filter.runId ?? null],
    );
    return rows.map((r) => ({ id: r.id, workflowId: r.workflow_id, temporalRunId: r.temporal_run_id, startedAt: r.started_at }));
  }

  /**
   * Of these work run ids (staging and pending candidates are keyed by them), those nobody can
   * resume any more: no row of the run is running or holds its task's seen set, and its newest
   * row is not a failed or cancelled one that finished within `resumeWindowMs`.
   */
  async releasableWorkIds(workIds: string[], resumeWindowMs: number): Promise<string[]> {
    const { rows } = await this.db.query<{ work_id: string }>(
      `SELECT w.work_id FROM unnest($1::uuid[]) AS w(work_id)
        WHERE NOT EXISTS (SELECT 1 FROM run r WHERE (r.id = w.work_id OR r.resume_root_id = w.work_id) AND r.status = 'running')
          -- the unchanged ids of a task's latest complete full read are its seen set (finishRun)
          AND NOT EXISTS (SELECT 1 FROM run r WHERE (r.id = w.work_id OR r.resume_root_id = w.work_id) AND r.seen_set_at IS NOT NULL)
          AND NOT EXISTS (
            SELECT 1 FROM (SELECT status, finished_at FROM run r WHERE r.id = w.work_id OR r.resume_root_id = w.work_id
                            ORDER BY r.started_at DESC, r.id DESC LIMIT 1) latest
             WHERE latest.status IN ('failed', 'cancelled') AND latest.finished_at > now() - make_interval(secs => $2::double precision / 1000))`,
      [workIds, resumeWindowMs],
    );
    return rows.map((r) => r.work_id);
  }

  // outcomes (run_record)

  /**
   * A dry run's would-be removals: each candidate of the set becomes a `removed` outcome of the
   * showing row, replacing the ones a previous attempt recorded.
   */
  async recordCandidatesAsRemoved(run: { id: string; rowId: string; taskId: string }, message: string | null, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome = 'removed'`, [run.rowId]);
    await tx.query(
      `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
       SELECT $2, c.kind, s.source_id, d.unique_value, d.id, 'removed', $4
         FROM removal_candidate c JOIN datacard d ON d.id = c.datacard_id
         LEFT JOIN datacard_sighting s ON s.datacard_id = d.id AND s.task_id = $3
        WHERE c.run_id = $1 ORDER BY c.kind, d.id`,
      [run.id, run.rowId, run.taskId, message],
    );
  }

  /** The `removed` outcomes of the run. */
  async removedCount(runId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM run_record WHERE run_id = $1 AND outcome = 'removed'`, [await this.rowOf(runId)]);
    return Number(rows[0].n);
  }

  // what the worker's logs and metrics say about a run

  /** The task of run row `runId` and its name. */
  async taskOf(runId: string): Promise<{ taskId: string; taskName?: string } | undefined> {
    const { rows } = await this.db.query<{ task_id: string; name: string | null }>(
      `SELECT r.task_id, t.name FROM run r LEFT JOIN import_task t ON t.id = r.task_id WHERE r.id = $1`,
      [runId],
    );
    return rows[0] ? { taskId: rows[0].task_id, taskName: rows[0].name ?? undefined } : undefined;
  }

  /** The task's name and the newest run row of the workflow (it exists when the API answered run-now with it, or on a retry). */
  async namesOfStart(taskId: string, workflowId: string): Promise<{ taskName?: string; runId?: string }> {
    const { rows } = await this.db.query<{ name: string | null; run_id: string | null }>(
      `SELECT (SELECT name FROM import_task WHERE id = $1) AS name,
              (SELECT id FROM run WHERE workflow_id = $2 ORDER BY started_at DESC LIMIT 1) AS run_id`,
      [taskId, workflowId],
    );
    return { taskName: rows[0]?.name ?? undefined, runId: rows[0]?.run_id ?? undefined };
  }

  /** When run row `runId` started. */
  async startedAt(runId: string): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ started_at: Date }>(`SELECT started_at FROM run WHERE id = $1`, [runId]);
    return rows[0]?.started_at;
  }

  // outcomes and counts of the map and load steps (run_record, run.stats)

  /**
   * The map step's failures of a chunk as outcomes of run row `rowId`: `resultsJson` is the
   * chunk's results (StagingRepository.storeMapped), of which those with decision 'failed' count.
   */
  async recordMapFailures({ rowId, resultsJson }: { rowId: string; resultsJson: string }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO run_record (run_id, kind, source_id, outcome, message)
       SELECT $1, u.resource, u.source_id, 'failed', u.message
         FROM jsonb_to_recordset($2::jsonb) AS u(resource text, source_id text, decision text, message text)
        WHERE u.decision = 'failed'`,
      [rowId, resultsJson],
    );
  }

  /** A load batch's per-record outcomes (created / updated, with the datacard each record now has). */
  async recordLoadOutcomes(
    o: { rowId: string; kind: ResourceKind; sourceIds: string[]; uniqueValues: string[]; datacardIds: string[]; outcomes: string[]; messages: Array<string | null> },
    tx: Sql = this.db,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
       SELECT $1, $2, u.source_id, u.unique_value, u.datacard_id, u.outcome, u.message
         FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[]) AS u(source_id, unique_value, datacard_id, outcome, message)`,
      [o.rowId, o.kind, o.sourceIds, o.uniqueValues, o.datacardIds, o.outcomes, o.messages],
    );
  }

  /** Adds a load batch's created and updated records to the counts of run row `rowId` (the batch's last statement). */
  async addLoadCounts({ rowId, created, updated }: { rowId: string; created: number; updated: number }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `UPDATE run SET stats = stats || jsonb_build_object(
          'created', COALESCE((stats->>'created')::int, 0) + $2::int,
          'updated', COALESCE((stats->>'updated')::int, 0) + $3::int)
        WHERE id = $1`,
      [rowId, created, updated],
    );
  }

  /** How many times run `runId` read its source again after its staging was lost. */
  async stagingRedos(runId: string): Promise<number> {
    const { rows } = await this.db.query<{ staging_redos: number }>(`SELECT staging_redos FROM run WHERE id = $1`, [runId]);
    return rows[0]?.staging_redos ?? 0;
  }

  /**
   * After a staging redo: drops each record's second load outcome (DROP_REPEATED_OUTCOMES), so
   * a record loaded before the loss keeps its first. Run inside a transaction without nested loops.
   */
  async dropRepeatedOutcomes(rowId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(DROP_REPEATED_OUTCOMES, [rowId]);
  }

  /** Drops the load outcomes of run row `rowId` (a dry run's repeated attempt records them again). */
  async clearLoadOutcomes(rowId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome IN ('created', 'updated', 'unchanged')`, [rowId]);
  }

  /**
   * A dry run's would-be load: each decided record of run `runId` (kinds[i] mapped to
   * templateCodes[i]) becomes a created / updated outcome of row `rowId`, with the datacard it
   * would touch. Returns how many of each.
   */
  async recordDryRunOutcomes(
    { runId, rowId, kinds, templateCodes }: { runId: string; rowId: string; kinds: ResourceKind[]; templateCodes: string[] },
    tx: Sql = this.db,
  ): Promise<{ created: number; updated: number }> {
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
      [runId, rowId, kinds, templateCodes],
    );
    const n = (o: string) => Number(rows.find((r) => r.outcome === o)?.n ?? 0);
    return { created: n('created'), updated: n('updated') };
  }

  // --- starting, listing and showing runs (the run launcher and the API) ---

  /** The run row, or null when there is none. */
  async find(id: string, tx: Sql = this.db): Promise<RunRow | null> {
    const { rows } = await tx.query<RunColumns>(`SELECT * FROM run WHERE id = $1`, [id]);
    return rows[0] ? runRowFrom(rows[0]) : null;
  }

  /** The row keyed by a workflow id (rows that resume it carry a `#resume-…` suffix), or null. */
  async findByWorkflowId(workflowId: string, tx: Sql = this.db): Promise<RunRow | null> {
    const { rows } = await tx.query<RunColumns>(`SELECT * FROM run WHERE workflow_id = $1`, [workflowId]);
    return rows[0] ? runRowFrom(rows[0]) : null;
  }

  /** The task's running run, the row that holds the one-running-run index, or null. */
  async runningOfTask(taskId: string, tx: Sql = this.db): Promise<RunRow | null> {
    const { rows } = await tx.query<RunColumns>(`SELECT * FROM run WHERE task_id = $1 AND status = 'running' LIMIT 1`, [taskId]);
    return rows[0] ? runRowFrom(rows[0]) : null;
  }

  /**
   * One page of runs of every task, newest first (GET /runs): filtered in one statement, keyset
   * paged on (started_at, id). `after` is the key of the last run of the previous page; the key of
   * this page's last run comes back as `next` when more runs follow. The key is started_at to the
   * microsecond (a Date keeps only milliseconds, which would skip runs started in the same one).
   */
  async listPage(filter: RunListFilter, limit: number, after?: RunPageKey): Promise<{ rows: RunRow[]; next: RunPageKey | null }> {
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (filter.taskId !== undefined) where.push(`r.task_id = ${param(filter.taskId)}::uuid`);
    if (filter.connectorId !== undefined) where.push(`r.task_id IN (SELECT t.id FROM import_task t WHERE t.connector_id = ${param(filter.connectorId)}::uuid)`);
    if (filter.statuses !== undefined) where.push(filter.statuses.length === 1 ? `r.status = ${param(filter.statuses[0])}` : `r.status = ANY(${param(filter.statuses)}::text[])`);
    if (filter.trigger !== undefined) where.push(`r.trigger = ${param(filter.trigger)}`);
    if (filter.mode !== undefined) where.push(`r.mode = ${param(filter.mode)}`);
    if (filter.dryRun !== undefined) where.push(filter.dryRun ? `r.dry_run` : `NOT r.dry_run`);
    if (filter.startedAfter !== undefined) where.push(`r.started_at >= ${param(filter.startedAfter)}::timestamptz`);
    if (filter.startedBefore !== undefined) where.push(`r.started_at < ${param(filter.startedBefore)}::timestamptz`);
    if (after) where.push(`(r.started_at, r.id) < (${param(after.startedAt)}::timestamptz, ${param(after.id)}::uuid)`);
    const { rows } = await this.db.query<RunColumns & { page_key: string }>(
      // the snapshot is the one large column and no list shows it
      `SELECT ${RUN_COLUMNS_BUT_SNAPSHOT}, NULL AS config_snapshot, ${PAGE_KEY} AS page_key
         FROM run r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY r.started_at DESC, r.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page.map(runRowFrom), next: rows.length > limit ? { startedAt: last.page_key, id: last.id } : null };
  }

  /** Per task, its newest run (the one GET /tasks/:id shows), in one statement: a probe of run_task_idx per task. */
  async newestOfTasks(taskIds: string[]): Promise<Map<string, RunRow>> {
    if (taskIds.length === 0) return new Map();
    const { rows } = await this.db.query<RunColumns>(
      `SELECT ${RUN_COLUMNS_BUT_SNAPSHOT}, NULL AS config_snapshot
         FROM unnest($1::uuid[]) AS t(task_id)
         JOIN LATERAL (SELECT * FROM run x WHERE x.task_id = t.task_id ORDER BY x.started_at DESC, x.id DESC LIMIT 1) r ON true`,
      [taskIds],
    );
    return new Map(rows.map((c) => [c.task_id, runRowFrom(c)]));
  }

  /** Up to `limit` per-record outcomes of a run row in the order they were written, after the id of the last one seen. */
  async outcomePage(
    runId: string,
    limit: number,
    filter: { outcome?: string; afterId?: string } = {},
  ): Promise<RunRecordRow[]> {
    const params: unknown[] = [runId];
    let where = 'run_id = $1';
    if (filter.outcome) {
      params.push(filter.outcome);
      where += ` AND outcome = $${params.length}`;
    }
    if (filter.afterId !== undefined) {
      params.push(filter.afterId);
      where += ` AND id > $${params.length}::bigint`;
    }
    params.push(limit);
    const { rows } = await this.db.query<RunRecordColumns>(`SELECT * FROM run_record WHERE ${where} ORDER BY id LIMIT $${params.length}`, params);
    return rows.map(runRecordRowFrom);
  }

  /**
   * Runs `claim`, statements of the caller's transaction that make a row of a task running. When
   * a unique index refuses them (run_one_running_per_task: the task already has a running run),
   * only the claim is undone and `claimed` is false; the caller's transaction goes on.
   */
  async claimRunning<T>(tx: Sql, claim: () => Promise<T>): Promise<{ claimed: true; value: T } | { claimed: false }> {
    await tx.query('SAVEPOINT run_claim');
    try {
      const value = await claim();
      await tx.query('RELEASE SAVEPOINT run_claim');
      return { claimed: true, value };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await tx.query('ROLLBACK TO SAVEPOINT run_claim');
      return { claimed: false };
    }
  }

  /** The row of a run the API starts (run-now, restart): running and queued until its workflow prepares it. */
  async insertStarting(
    run: { taskId: string; workflowId: string; mode: RunMode; trigger: RunTrigger; retryOf: string | null; dryRun: boolean },
    tx: Sql = this.db,
  ): Promise<RunRow> {
    const { rows } = await tx.query<RunColumns>(
      `INSERT INTO run (task_id, workflow_id, mode, trigger, status, phase, retry_of, dry_run)
       VALUES ($1, $2, $3, $4, 'running', 'queued', $5, $6) RETURNING *`,
      [run.taskId, run.workflowId, run.mode, run.trigger, run.retryOf, run.dryRun],
    );
    return runRowFrom(rows[0]);
  }

  /** The Temporal execution a started run's workflow got. */
  async setExecution(id: string, temporalRunId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE run SET temporal_run_id = $2 WHERE id = $1`, [id, temporalRunId]);
  }

  /**
   * The row of a run resumed from history (POST /runs/:id/retry {resume}): keyed
   * `<workflowId>#resume-<key>`, linked to the old row (retry_of) and to the run whose id the
   * replayed activities carry (resume_root_id), with the old row's counts, reports and outcomes.
   */
  async insertResuming(oldId: string, workflowId: string, key: string, fromStep: string, tx: Sql): Promise<string> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, retry_of, resume_root_id,
                        stats, extract_reports, removal, notes, config_snapshot, started_at, dry_run, load_total, load_written_before)
       SELECT task_id, $4 || '#resume-' || $2, NULL, mode, 'retry', 'running', 'resuming', id, COALESCE(resume_root_id, id),
              stats, extract_reports,
              -- removals the cancel dropped while they waited for a decision wait again (nothing was applied)
              CASE WHEN status = 'cancelled' AND removal->>'state' = 'cancelled' AND removal ? 'decisionDeadline' AND COALESCE((removal->>'removed')::int, 0) = 0
                   THEN (removal - 'reason') || jsonb_build_object('state', 'awaitingApproval') ELSE removal END,
              notes || to_jsonb(ARRAY['resumed from the ' || CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'failed' END || ' step ' || $3::text || ' of run ' || id::text]), config_snapshot, now(), dry_run,
              load_total, load_written_before
       FROM run WHERE id = $1 RETURNING id`,
      [oldId, key, fromStep, workflowId],
    );
    // earlier per-record outcomes belong to the resumed run too: it continues the same work
    await tx.query(
      `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
       SELECT $2, kind, source_id, unique_value, datacard_id, outcome, message FROM run_record WHERE run_id = $1 ORDER BY id`,
      [oldId, rows[0].id],
    );
    return rows[0].id;
  }

  /** The reset execution a resume row shows; a run resumed into its wait for a removal decision runs no step before it waits again. */
  async setResumedExecution(id: string, temporalRunId: string): Promise<void> {
    await this.db.query(
      `UPDATE run SET temporal_run_id = $2, phase = CASE WHEN removal->>'state' = 'awaitingApproval' THEN 'removalApproval' ELSE 'queued' END,
              -- the wait runs no activity that would enter the phase
              phase_log = CASE WHEN removal->>'state' = 'awaitingApproval' THEN ${phaseLogWith(`'removalApproval'`)} ELSE phase_log END
        WHERE id = $1`,
      [id, temporalRunId],
    );
  }

  /** Removes a resume row whose reset did not happen, with the outcomes copied to it. */
  async deleteResuming(id: string): Promise<void> {
    // outcomes carry no foreign key (a load writes them by the hundred thousand): drop the copies first
    await this.db.query(`DELETE FROM run_record WHERE run_id = $1`, [id]);
    await this.db.query(`DELETE FROM run WHERE id = $1`, [id]);
  }

  /** Cancels a running row on its own (its workflow is gone, so nothing else will). */
  async markCancelled(id: string): Promise<void> {
    await this.db.query(`UPDATE run SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'running'`, [id]);
  }

  /** A prepared run's row runs again in a new attempt or execution (activity retry, a reset to the start). */
  async markPreparing(rowId: string, temporalRunId: string, tx: Sql): Promise<void> {
    await tx.query(
      `UPDATE run SET status = 'running', phase = 'prepare', finished_at = NULL, error = NULL, temporal_run_id = $2, phase_log = ${phaseLogWith(`'prepare'`)} WHERE id = $1`,
      [rowId, temporalRunId],
    );
  }

  /**
   * Creates the row of a workflow execution's run, or takes over the one the API inserted to
   * answer at once (same workflow id), with the decisions of prepareRun. A resumed run's old row
   * (`resumed`) keeps its status: the resuming row is the one that runs (markResumedPreparing).
   */
  async recordPrepared(
    run: { taskId: string; workflowId: string; temporalRunId: string; mode: RunMode; trigger: RunTrigger; retryOf: string | null; snapshot: unknown; resumed: boolean; dryRun: boolean },
    tx: Sql,
  ): Promise<string> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, retry_of, config_snapshot, dry_run, phase_log)
       VALUES ($1, $2, $3, $4, $5, 'running', 'prepare', $6, $7, $9, jsonb_build_array(jsonb_build_object('phase', 'prepare', 'at', now())))
       ON CONFLICT (workflow_id) DO UPDATE SET
         temporal_run_id = CASE WHEN $8 THEN run.temporal_run_id ELSE EXCLUDED.temporal_run_id END, mode = EXCLUDED.mode, trigger = EXCLUDED.trigger,
         status = CASE WHEN $8 THEN run.status ELSE 'running' END, phase = CASE WHEN $8 THEN run.phase ELSE 'prepare' END,
         retry_of = COALESCE(run.retry_of, EXCLUDED.retry_of),
         config_snapshot = EXCLUDED.config_snapshot, started_at = now(), dry_run = EXCLUDED.dry_run,
         finished_at = CASE WHEN $8 THEN run.finished_at END, error = CASE WHEN $8 THEN run.error END,
         -- the run starts (again) now: its timeline too (a resumed run's old row keeps its own)
         phase_log = CASE WHEN $8 THEN run.phase_log ELSE EXCLUDED.phase_log END,
         load_total = CASE WHEN $8 THEN run.load_total END, load_written_before = CASE WHEN $8 THEN run.load_written_before END
       RETURNING id`,
      [run.taskId, run.workflowId, run.temporalRunId, run.mode, run.trigger, run.retryOf, JSON.stringify(run.snapshot), run.resumed, run.dryRun],
    );
    return rows[0].id;
  }

  /** The row resuming a run shows its new execution, with the mode and snapshot prepareRun decided. */
  async markResumedPreparing(rowId: string, temporalRunId: string, mode: RunMode, snapshot: unknown, tx: Sql): Promise<void> {
    await tx.query(
      `UPDATE run SET status = 'running', phase = 'prepare', finished_at = NULL, error = NULL, temporal_run_id = $2, mode = $3, config_snapshot = $4,
              phase_log = ${phaseLogWith(`'prepare'`)}
        WHERE id = $1`,
      [rowId, temporalRunId, mode, JSON.stringify(snapshot)],
    );
  }

  /** Run rows per status (metrics). */
  async countByStatus(): Promise<Array<{ status: RunStatus; count: number }>> {
    const { rows } = await this.db.query<{ status: RunStatus; n: string }>(`SELECT status, count(*)::text AS n FROM run GROUP BY status`);
    return rows.map((r) => ({ status: r.status, count: Number(r.n) }));
  }

  /** Per task, how long its latest `perTask` succeeded runs took, in ms; a dry run skips load, so its duration says nothing about a real run's. */
  async recentDurations(taskIds: string[], perTask: number): Promise<Array<{ taskId: string; ms: number }>> {
    const { rows } = await this.db.query<{ task_id: string; ms: string }>(
      `SELECT task_id, extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM (
         SELECT task_id, started_at, finished_at, row_number() OVER (PARTITION BY task_id ORDER BY started_at DESC) AS rn
           FROM run WHERE task_id = ANY($1::uuid[]) AND status = 'succeeded' AND NOT dry_run AND finished_at IS NOT NULL) r
        WHERE rn <= $2`,
      [taskIds, perTask],
    );
    return rows.map((r) => ({ taskId: r.task_id, ms: Number(r.ms) }));
  }
}
