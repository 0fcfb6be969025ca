import type { RunStatsView } from '@app/temporal';
import type { Sql } from './db';
import { ImportConfigError } from './errors';
import type { RunConfigSnapshot } from './task-config';

export type RunPhase = 'prepare' | 'extract' | 'map' | 'diff' | 'load' | 'reconcile' | 'finish' | 'done' | 'failed' | 'cancelled';

export interface RunRow {
  id: string;
  taskId: string;
  workflowId: string;
  mode: 'full' | 'incremental';
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  startedAt: Date;
  snapshot: RunConfigSnapshot;
}

export const EMPTY_STATS: RunStatsView = { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 };

/** Run rows: phase, live counts, notes, extract reports. */
export class RunRepository {
  constructor(private readonly db: Sql) {}

  /** The run with its config snapshot; throws ImportConfigError when it does not exist. */
  async get(runId: string): Promise<RunRow> {
    const { rows } = await this.db.query<{
      id: string; task_id: string; workflow_id: string; mode: RunRow['mode']; status: RunRow['status'];
      started_at: Date; config_snapshot: RunConfigSnapshot | null;
    }>(`SELECT id, task_id, workflow_id, mode, status, started_at, config_snapshot FROM run WHERE id = $1`, [runId]);
    const row = rows[0];
    if (!row || !row.config_snapshot) throw new ImportConfigError(`run ${runId} does not exist or was not prepared`);
    return {
      id: row.id, taskId: row.task_id, workflowId: row.workflow_id, mode: row.mode, status: row.status,
      startedAt: row.started_at, snapshot: row.config_snapshot,
    };
  }

  /**
   * Marks the phase an activity works in. A run reset from history after a failure runs again,
   * so the status goes back to running (the one-running-run index still guards the task).
   */
  async enterPhase(runId: string, phase: RunPhase): Promise<void> {
    await this.db.query(
      `UPDATE run SET phase = $2, status = 'running', finished_at = NULL,
              error = CASE WHEN status = 'running' THEN error ELSE NULL END
        WHERE id = $1`,
      [runId, phase],
    );
  }

  /** Adds to the live counts (inside the same transaction as the work they count). */
  async addStats(runId: string, delta: Partial<RunStatsView>): Promise<void> {
    const entries = Object.entries(delta).filter(([, v]) => v !== undefined && v !== 0);
    if (entries.length === 0) return;
    const set = entries.map(([k], i) => `'${k}', COALESCE((stats->>'${k}')::int, 0) + $${i + 2}::int`).join(', ');
    await this.db.query(`UPDATE run SET stats = stats || jsonb_build_object(${set}) WHERE id = $1`, [runId, ...entries.map(([, v]) => v)]);
  }

  /** Sets chosen counts to absolute values. */
  async setStats(runId: string, values: Partial<RunStatsView>): Promise<void> {
    await this.db.query(`UPDATE run SET stats = stats || $2::jsonb WHERE id = $1`, [runId, JSON.stringify(values)]);
  }

  /** Current counts as shown by the API. */
  async stats(runId: string): Promise<RunStatsView> {
    const { rows } = await this.db.query<{ stats: RunStatsView }>(`SELECT stats FROM run WHERE id = $1`, [runId]);
    return { ...EMPTY_STATS, ...(rows[0]?.stats ?? {}) };
  }

  /** Authoritative counts: fetched from the extract checkpoints, the rest from per-record outcomes. */
  async recomputeStats(runId: string): Promise<RunStatsView> {
    const { rows } = await this.db.query<{ outcome: keyof RunStatsView; n: string }>(
      `SELECT outcome, count(*) AS n FROM run_record WHERE run_id = $1 GROUP BY outcome`,
      [runId],
    );
    const fetched = await this.db.query<{ n: string | null }>(`SELECT sum(fetched) AS n FROM run_extract WHERE run_id = $1`, [runId]);
    const stats: RunStatsView = { ...EMPTY_STATS, fetched: Number(fetched.rows[0]?.n ?? 0) };
    for (const r of rows) stats[r.outcome] = Number(r.n);
    await this.setStats(runId, stats);
    return stats;
  }

  /** Appends an operator-facing note once (retries do not repeat it). */
  async addNote(runId: string, note: string): Promise<void> {
    await this.db.query(
      `UPDATE run SET notes = notes || to_jsonb($2::text) WHERE id = $1 AND NOT notes @> to_jsonb(ARRAY[$2::text])`,
      [runId, note],
    );
  }
}
