import type { RunStatsView } from '@app/temporal';
import type { Sql } from '../db';
import { EMPTY_STATS, type RunPhase } from './run-row';
import { ImportConfigError } from '../../../import/src/errors/import-errors';

/**
 * Unchanged records of a run that read its source again after its staging was lost ($1 run id,
 * $2 run row id), without those loaded before the loss (they keep their first outcome).
 */
export const UNCHANGED_AFTER_REDO = `SELECT count(*) AS n FROM (
    SELECT s.resource, s.source_id FROM staging_record s WHERE s.run_id = $1 AND s.decision = 'unchanged'
    EXCEPT
    SELECT r.kind, r.source_id FROM run_record r WHERE r.run_id = $2 AND r.outcome IN ('created', 'updated')) x`;
import type { RunConfigSnapshot } from '../../../import/src/run-config/task-config';

/** The run as the activities work on it: the run id they carry, the row that shows it, its typed snapshot. */
export interface RunAtWork {
  /**
   * The run id the workflow's activities carry. Staging, extract checkpoints, sightings and
   * removal candidates are keyed by it, so they survive a resume from history.
   */
  id: string;
  /** The run row that shows this execution: `id`, or the newest row that resumes it (see rowOf). */
  rowId: string;
  taskId: string;
  workflowId: string;
  mode: 'full' | 'incremental';
  /** status of the showing row */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** when the run (its first execution) started: its read began then */
  startedAt: Date;
  snapshot: RunConfigSnapshot;
  /** a dry run records what it would do and writes nothing to the target */
  dryRun: boolean;
}

/**
 * Run rows: phase, live counts, notes, extract reports.
 *
 * After POST /runs/:id/retry {resume} the reset workflow replays the old activity results, so
 * every activity still gets the old run id R1. The API created a new row R2 (retry_of = R1,
 * resume_root_id = R1) that must show the continued run. `rowOf` is the one place that maps
 * the id the activities carry to the row that shows it; every write of run-level state
 * (status, phase, counts, per-record outcomes, removal state, error) goes through it, while
 * work data (staging, checkpoints, sightings, removal candidates) stays keyed by R1.
 */
export class RunRepository {
  private readonly showing = new Map<string, string>();

  constructor(private readonly db: Sql) {}

  /** The row that shows run `runId`: the newest row resuming it, else the run itself (cached per activity). */
  async rowOf(runId: string): Promise<string> {
    const known = this.showing.get(runId);
    if (known) return known;
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM run WHERE resume_root_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1`,
      [runId],
    );
    const rowId = rows[0]?.id ?? runId;
    // a resume happens only after the workflow failed, never while one of its activities runs
    this.showing.set(runId, rowId);
    return rowId;
  }

  /** The run with its config snapshot; throws ImportConfigError when it does not exist. */
  async get(runId: string): Promise<RunAtWork> {
    const rowId = await this.rowOf(runId);
    const { rows } = await this.db.query<{
      id: string; task_id: string; workflow_id: string; mode: RunAtWork['mode']; status: RunAtWork['status'];
      started_at: Date; config_snapshot: RunConfigSnapshot | null; dry_run: boolean;
    }>(
      `SELECT r.id, r.task_id, r.workflow_id, r.mode, s.status, r.started_at, r.config_snapshot, r.dry_run
         FROM run r JOIN run s ON s.id = $2 WHERE r.id = $1`,
      [runId, rowId],
    );
    const row = rows[0];
    if (!row || !row.config_snapshot) throw new ImportConfigError(`run ${runId} does not exist or was not prepared`);
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
              error = CASE WHEN status = 'running' THEN error ELSE NULL END
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

  // --- starting, listing and showing runs (the run launcher and the API) ---
}
