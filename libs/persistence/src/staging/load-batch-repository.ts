import type { ResourceKind } from '@app/temporal/contracts';
import type { Sql } from '../db';
import type { LoadWindow } from './load-window';

/** The key range of a kind's staged rows that a committed load batch wrote: (after, last] in source-id order. */
export interface LoadedRange {
  after: string;
  last: string;
}

/**
 * Table staging_load_batch: one row per committed load batch, written in the batch's transaction,
 * instead of a `loaded` flag on each row it wrote. UNLOGGED and keyed by the run's staging marker:
 * it lives as long as the staging it describes (see the migration StagingLoadBatches).
 */
export class LoadBatchRepository {
  constructor(private readonly db: Sql) {}

  /** The ranges the kind's committed batches wrote, in key order: a retried load skips them. */
  async loadedRanges(runId: string, kind: ResourceKind): Promise<LoadedRange[]> {
    const { rows } = await this.db.query<{ after_source_id: string; last_source_id: string }>(
      `SELECT after_source_id, last_source_id FROM staging_load_batch WHERE run_id = $1 AND resource = $2 ORDER BY last_source_id`,
      [runId, kind],
    );
    return rows.map((r) => ({ after: r.after_source_id, last: r.last_source_id }));
  }

  /**
   * Whether a committed batch wrote part of this window. Asked once the window's rows are locked:
   * another attempt's batch on the same rows has committed by then, and this statement sees it.
   */
  async overlapsLoaded(window: LoadWindow, tx: Sql = this.db): Promise<boolean> {
    const { rows } = await tx.query(
      `SELECT 1 FROM staging_load_batch b
        WHERE b.run_id = $1 AND b.resource = $2 AND b.last_source_id > $3 AND b.after_source_id < $4 LIMIT 1`,
      [window.runId, window.kind, window.after, window.last],
    );
    return rows.length > 0;
  }

  /** Records the window as written (in the batch's transaction): `rows` staged rows were loaded. */
  async recordLoaded({ window, rows }: { window: LoadWindow; rows: number }, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO staging_load_batch (run_id, resource, after_source_id, last_source_id, loaded_rows) VALUES ($1, $2, $3, $4, $5)`,
      [window.runId, window.kind, window.after, window.last, rows],
    );
  }
}
