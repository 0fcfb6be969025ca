import type { DataSource } from 'typeorm';
import type { ImportActivities } from '../../libs/import/src';

/**
 * A `finishRun` that first empties the run's staging, as PostgreSQL crash recovery empties the
 * UNLOGGED staging tables, when `lose(taskId)` says so: the run then finds its staged records
 * gone (StagingLostError) and reads its source again.
 */
export function finishRunLosingStaging(ds: DataSource, activities: Pick<ImportActivities, 'finishRun'>, lose: (taskId: string) => boolean): ImportActivities['finishRun'] {
  return async (runId: string) => {
    const rows: Array<{ task_id: string }> = await ds.query(`SELECT task_id FROM run WHERE id = $1`, [runId]);
    if (lose(rows[0].task_id)) {
      await ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
      await ds.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);
    }
    return activities.finishRun(runId);
  };
}
