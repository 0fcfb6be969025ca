import type { FailureRef, RunFailureInfo } from '@app/temporal';
import type { Db } from '@app/persistence';
import { RunRepository } from '@app/persistence';
import type { TaskConfig } from '../run-config/task-config';

const MAX_MESSAGE = 2000;

/** Text of a failure datacard: type, message, run id and time. */
export function failureText(error: RunFailureInfo, runId: string, at: Date): string {
  const message = error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE - 1)}…` : error.message;
  return `${error.type}: ${message} (run ${runId}, ${at.toISOString()})`;
}

/**
 * Marks the run failed and writes exactly one failure datacard per failed run (unique value =
 * id of the run row that shows the failure, so a retried recordFailure updates the same card;
 * a resumed run that fails again is a failed run of its own and gets its own card). A failure
 * before the run row existed gets a run row of its own. `redact` strips the connector's secrets.
 */
export async function recordFailure(
  db: Db,
  runs: RunRepository,
  ref: FailureRef,
  error: RunFailureInfo,
  redact: (text: string) => string,
): Promise<{ runId: string; failureDatacardId: string | null }> {
  const safe: RunFailureInfo = { type: error.type || 'Error', message: redact(error.message ?? '') };
  return db.transaction(async (tx) => {
    let runId = ref.runId;
    if (!runId) {
      const found = await tx.query<{ id: string }>(`SELECT id FROM run WHERE workflow_id = $1`, [ref.workflowId]);
      runId = found.rows[0]?.id;
    }
    if (!runId) {
      const created = await tx.query<{ id: string }>(
        `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, finished_at)
         SELECT $1, $2, $3, COALESCE((SELECT type FROM import_task WHERE id = $1), 'full'), $4, 'failed', 'failed', now()
         ON CONFLICT (workflow_id) DO UPDATE SET status = 'failed' RETURNING id`,
        [ref.taskId, ref.workflowId, ref.temporalRunId ?? null, ref.trigger ?? 'schedule'],
      );
      runId = created.rows[0].id;
    }
    // a resumed run fails on its own row (the activities still carry the root's id)
    const rowId = await new RunRepository(tx).rowOf(runId);
    const { rows } = await tx.query<{ task_id: string; snapshot: { config?: TaskConfig } | null; config: TaskConfig | null; dry_run: boolean }>(
      `SELECT r.task_id, r.config_snapshot AS snapshot, t.config, r.dry_run FROM run r LEFT JOIN import_task t ON t.id = r.task_id WHERE r.id = $1`,
      [runId],
    );
    const failure = rows[0]?.snapshot?.config?.failure ?? rows[0]?.config?.failure ?? null;
    let failureDatacardId: string | null = null;
    // a missing failure folder must not turn recording the failure into a failure of its own
    const usable = failure
      ? (await tx.query(`SELECT 1 FROM folder WHERE code = $1 AND template_code = $2`, [failure.folderCode, failure.templateCode])).rowCount === 1
      : false;
    // a dry run promises to write nothing to the target: its failure shows on the run only
    if (failure && usable && rows[0].dry_run !== true) {
      const text = failureText(safe, rowId, new Date());
      const card = await tx.query<{ id: string }>(
        `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
         VALUES ($1, $2, $3, jsonb_build_object($4::text, $5::text), $6, 'active')
         ON CONFLICT (template_code, unique_value) DO UPDATE SET attributes = datacard.attributes || EXCLUDED.attributes, updated_at = now()
         RETURNING id`,
        [failure.templateCode, failure.folderCode, rowId, failure.attributeCode, text, rows[0].task_id],
      );
      failureDatacardId = card.rows[0].id;
    }
    await tx.query(
      `UPDATE run SET status = 'failed', phase = 'failed', finished_at = now(), error = $2::jsonb WHERE id = $1`,
      [rowId, JSON.stringify(safe)],
    );
    return { runId, rowId, failureDatacardId };
  }).then(async ({ runId, rowId, failureDatacardId }) => {
    await runs.recomputeStats(runId).catch(() => undefined);
    return { runId: rowId, failureDatacardId };
  });
}
