import type { DataSource } from 'typeorm';
import { conflict } from '../common/problem';

/** 409 when the task already has a running run: one run at a time per task. */
export async function assertNoRunningRun(ds: DataSource, taskId: string): Promise<void> {
  const rows: Array<{ id: string }> = await ds.query(`SELECT id FROM run WHERE task_id = $1 AND status = 'running' LIMIT 1`, [taskId]);
  if (rows.length) throw conflict(`a run of this task is already in progress (run ${rows[0].id})`);
}
