import type { ResourceKind } from '@app/temporal/contracts';
import type { Sql } from '../db';
import { IN_WINDOW, TO_LOAD, windowParams, type LoadWindow } from '../staging/load-window';

/** Tables datacard_sighting and task_cache: which task last saw which card under which source id, and what it last pushed. */
export class SightingRepository {
  constructor(private readonly db: Sql) {}

  /**
   * The account datacards this task has sighted under these source ids (group members resolve
   * through them), in one lookup of the distinct ids.
   */
  async accountCardsOf({ taskId, sourceIds }: { taskId: string; sourceIds: string[] }, tx: Sql = this.db): Promise<Array<{ sourceId: string; datacardId: string }>> {
    const { rows } = await tx.query<{ source_id: string; datacard_id: string }>(
      `SELECT sg.source_id, sg.datacard_id FROM unnest($2::text[]) AS m(id)
         JOIN datacard_sighting sg ON sg.task_id = $1 AND sg.kind = 'identity' AND sg.source_id = m.id`,
      [taskId, sourceIds],
    );
    return rows.map((r) => ({ sourceId: r.source_id, datacardId: r.datacard_id }));
  }

  /**
   * Caches what the load batch window pushed (its hash, now), so the next run finds it
   * unchanged. A record in `partialSourceIds` (a group pushed with unresolved members) is cached
   * as partial, so the next run pushes it again.
   */
  async cachePushed({ window, taskId, partialSourceIds }: { window: LoadWindow; taskId: string; partialSourceIds: string[] }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO task_cache (task_id, kind, unique_value, hash, pushed_at)
       SELECT $5, $2, s.unique_value, CASE WHEN s.source_id = ANY($6::text[]) THEN s.hash || ':partial' ELSE s.hash END, now()
         FROM staging_record s WHERE ${IN_WINDOW} AND ${TO_LOAD}
       ON CONFLICT (task_id, kind, unique_value) DO UPDATE SET hash = EXCLUDED.hash, pushed_at = EXCLUDED.pushed_at`,
      [...windowParams(window), taskId, partialSourceIds],
    );
  }

  /**
   * Who saw what in which run: the task saw datacardIds[i] under sourceIds[i] in run `runId`.
   * Group members resolve through it, removal reads it.
   */
  async recordSightings(
    { taskId, runId, kind, datacardIds, sourceIds }: { taskId: string; runId: string; kind: ResourceKind; datacardIds: string[]; sourceIds: string[] },
    tx: Sql = this.db,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id)
       SELECT u.datacard_id, $1, $2, now(), $3, u.source_id FROM unnest($4::uuid[], $5::text[]) AS u(datacard_id, source_id)
       ON CONFLICT (datacard_id, task_id) DO UPDATE
         SET last_run_id = EXCLUDED.last_run_id, last_seen_at = EXCLUDED.last_seen_at, kind = EXCLUDED.kind, source_id = EXCLUDED.source_id`,
      [taskId, runId, kind, datacardIds, sourceIds],
    );
  }

  /** Forgets what the task pushed: its next run writes every record again (POST /tasks/:id/cache/clear, DELETE /tasks/:id). */
  async clearTaskCache(taskId: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM task_cache WHERE task_id = $1`, [taskId]);
  }
}
