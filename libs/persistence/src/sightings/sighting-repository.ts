import type { ResourceKind } from '@app/temporal/contracts';
import type { Sql } from '../db';

/**
 * Table datacard_sighting, one row per task and datacard: which task last saw which card under
 * which source id in which run, and what it last pushed there (the task cache: hash and when).
 */
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
   * What a load batch pushed, one row per record: the task saw datacardIds[i] under sourceIds[i]
   * in run `runId` (group members resolve through it, removal reads it), and pushed hashes[i] now
   * (its cache entry: the next run finds the record unchanged). The caller marks a group pushed
   * with unresolved members as partial in its hash, so the next run pushes it again.
   */
  async recordPushed(
    { taskId, runId, kind, datacardIds, sourceIds, hashes }: { taskId: string; runId: string; kind: ResourceKind; datacardIds: string[]; sourceIds: string[]; hashes: string[] },
    tx: Sql = this.db,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id, hash, pushed_at)
       SELECT u.datacard_id, $1, $2, now(), $3, u.source_id, u.hash, now()
         FROM unnest($4::uuid[], $5::text[], $6::text[]) AS u(datacard_id, source_id, hash)
       ON CONFLICT (datacard_id, task_id) DO UPDATE
         SET last_run_id = EXCLUDED.last_run_id, last_seen_at = EXCLUDED.last_seen_at, kind = EXCLUDED.kind, source_id = EXCLUDED.source_id,
             hash = EXCLUDED.hash, pushed_at = EXCLUDED.pushed_at`,
      [taskId, runId, kind, datacardIds, sourceIds, hashes],
    );
  }

  /** Forgets what the task pushed: its next run writes every record again (POST /tasks/:id/cache/clear, DELETE /tasks/:id). */
  async clearTaskCache(taskId: string, tx: Sql = this.db): Promise<void> {
    // the sightings stay: who saw what is not a cache (removal and member resolution read it)
    await tx.query(`UPDATE datacard_sighting SET hash = NULL, pushed_at = NULL WHERE task_id = $1 AND hash IS NOT NULL`, [taskId]);
  }
}
