import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Sql } from '@app/persistence';

/** Statuses a run row takes when its workflow closed without its own clean-up. */
export type ClosedRunStatus = 'terminated' | 'timedOut' | 'failed' | 'cancelled';

/** What Temporal says about the latest execution of a workflow id. */
export type TemporalRunState =
  | { open: true }
  | { open: false; status: ClosedRunStatus; error: { type: string; message: string }; closedAt?: Date }
  | { open: undefined; reason: string };

const MAX_REASON = 2000;

/** A row without a Temporal run id (a resume being set up) is left alone this long. */
const UNBOUND_GRACE_MS = 2 * 60_000;

/**
 * A row whose workflow Temporal does not know is closed only after this long: Temporal forgets a
 * workflow only when its retention has passed, so a young row without one is someone's work in
 * progress (a start that has not reached Temporal yet, a test driving activities by hand).
 */
const NOT_FOUND_GRACE_MS = 10 * 60_000;

function clip(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

/**
 * The state of the latest execution of `workflowId` (continue-as-new and resets move on from the
 * run a row first saw), with the close reason from the workflow's close event.
 */
export async function temporalRunState(client: Client, namespace: string, workflowId: string): Promise<TemporalRunState> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return { open: false, status: 'failed', error: { type: 'WorkflowNotFound', message: 'Temporal has no workflow for this run (never started, or its history is no longer retained)' } };
    }
    return { open: undefined, reason: err instanceof Error ? err.message : String(err) };
  }
  const status = description.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') return { open: true };
  const closedAt = description.closeTime;
  const close = await closeEvent(client, namespace, workflowId, description.runId).catch(() => undefined);
  switch (status) {
    case 'TERMINATED': {
      const a = close?.workflowExecutionTerminatedEventAttributes;
      const by = a?.identity ? ` by ${a.identity}` : '';
      return { open: false, status: 'terminated', closedAt, error: { type: 'Terminated', message: clip(`the workflow was terminated${by}: ${a?.reason || 'no reason given'}`) } };
    }
    case 'TIMED_OUT':
      return { open: false, status: 'timedOut', closedAt, error: { type: 'WorkflowTimedOut', message: 'Temporal closed the workflow when its run timeout expired' } };
    case 'CANCELLED':
      return { open: false, status: 'cancelled', closedAt, error: { type: 'Cancelled', message: 'the workflow was cancelled and closed before it could record the cancellation' } };
    case 'FAILED': {
      const f = close?.workflowExecutionFailedEventAttributes?.failure;
      const type = f?.applicationFailureInfo?.type || 'WorkflowFailed';
      return { open: false, status: 'failed', closedAt, error: { type, message: clip(f?.message || 'the workflow failed before it could record the failure') } };
    }
    default:
      // COMPLETED (or unknown) while the row still says running: the run never closed its row
      return { open: false, status: 'failed', closedAt, error: { type: 'ClosedWithoutCleanUp', message: `the workflow closed (${status}) without closing its run` } };
  }
}

async function closeEvent(client: Client, namespace: string, workflowId: string, runId: string) {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace,
    execution: { workflowId, runId },
    historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  return res.history?.events?.[0];
}

/**
 * Closes a 'running' row whose workflow is gone. Terminated and timed-out runs can be neither
 * resumed nor cleaned up by their workflow, so their staging is released at once; failed and
 * cancelled ones keep it for the resume window (sweepStaging). Committed batches always stay.
 * Returns false when the row was no longer running.
 */
export async function closeRunFromTemporal(db: Sql, runRowId: string, state: Extract<TemporalRunState, { open: false }>): Promise<boolean> {
  const { rows } = await db.query<{ work_id: string }>(
    `UPDATE run SET status = $2, phase = $2, finished_at = COALESCE($4::timestamptz, now()), error = $3::jsonb,
            removal = CASE WHEN removal->>'state' IN ('awaitingApproval', 'applying')
                           THEN removal || jsonb_build_object('state', 'cancelled', 'reason', 'the run ended (' || $2 || ') before its removals were applied')
                           ELSE removal END
      WHERE id = $1 AND status = 'running'
      RETURNING COALESCE(resume_root_id, id) AS work_id`,
    [runRowId, state.status, JSON.stringify(state.error), state.closedAt ?? null],
  );
  if (!rows.length) return false;
  if (state.status === 'terminated' || state.status === 'timedOut') await releaseStaging(db, rows[0].work_id);
  return true;
}

/** Removes the staging and removal candidates of a run (keyed by the id its activities carry) and notes when. */
export async function releaseStaging(db: Sql, workId: string): Promise<void> {
  await db.query(`DELETE FROM staging_record WHERE run_id = $1`, [workId]);
  await db.query(`DELETE FROM removal_candidate WHERE run_id = $1 AND NOT applied`, [workId]);
  await db.query(`UPDATE run SET staging_released_at = now() WHERE (id = $1 OR resume_root_id = $1) AND staging_released_at IS NULL AND status <> 'running'`, [workId]);
}

export interface ReconcileFilter {
  taskId?: string;
  runId?: string;
}

export interface ReconciledRun {
  runId: string;
  status: ClosedRunStatus;
  reason: string;
}

/**
 * Brings 'running' rows in line with Temporal: every row whose workflow has closed without its
 * own clean-up gets the status and reason Temporal reports. Rows whose state Temporal cannot
 * tell right now stay as they are (the next pass tries again).
 */
export async function reconcileOpenRuns(db: Sql, client: Client, namespace: string, filter: ReconcileFilter = {}): Promise<ReconciledRun[]> {
  const { rows } = await db.query<{ id: string; workflow_id: string; temporal_run_id: string | null; started_at: Date }>(
    `SELECT id, split_part(workflow_id, '#', 1) AS workflow_id, temporal_run_id, started_at FROM run
      WHERE status = 'running' AND ($1::uuid IS NULL OR task_id = $1) AND ($2::uuid IS NULL OR id = $2)
      ORDER BY started_at`,
    [filter.taskId ?? null, filter.runId ?? null],
  );
  const closed: ReconciledRun[] = [];
  for (const row of rows) {
    // a resume inserts its row before Temporal has created the reset execution
    if (!row.temporal_run_id && Date.now() - row.started_at.getTime() < UNBOUND_GRACE_MS) continue;
    const state = await temporalRunState(client, namespace, row.workflow_id);
    if (state.open !== false) continue;
    if (state.error.type === 'WorkflowNotFound' && Date.now() - row.started_at.getTime() < NOT_FOUND_GRACE_MS) continue;
    if (await closeRunFromTemporal(db, row.id, state)) closed.push({ runId: row.id, status: state.status, reason: state.error.message });
  }
  return closed;
}

/**
 * Staging retention. Staging (and pending removal candidates) of a run are kept while the run is
 * running or could still be resumed: a failed or cancelled run keeps them for `resumeWindowMs`
 * after it finished; a task's latest complete full read keeps its unchanged ids as the task's
 * seen set until the next one replaces it. Everything else is removed: succeeded runs (finishRun removes its own, this
 * catches a crash in between), terminated and timed-out runs, runs past the window, and staging
 * whose run row no longer exists. Returns the run ids whose staging was removed.
 */
export async function sweepStaging(db: Sql, resumeWindowMs: number): Promise<string[]> {
  // distinct run ids of staging by skipping through its primary key (cheap on millions of rows)
  const { rows: staged } = await db.query<{ run_id: string }>(
    `WITH RECURSIVE ids AS (
       (SELECT run_id FROM staging_record ORDER BY run_id LIMIT 1)
       UNION ALL
       SELECT (SELECT s.run_id FROM staging_record s WHERE s.run_id > ids.run_id ORDER BY s.run_id LIMIT 1) FROM ids WHERE ids.run_id IS NOT NULL)
     SELECT run_id FROM ids WHERE run_id IS NOT NULL
     UNION
     SELECT DISTINCT run_id FROM removal_candidate WHERE NOT applied`,
  );
  if (!staged.length) return [];
  const { rows: releasable } = await db.query<{ work_id: string }>(
    `SELECT w.work_id FROM unnest($1::uuid[]) AS w(work_id)
      WHERE NOT EXISTS (SELECT 1 FROM run r WHERE (r.id = w.work_id OR r.resume_root_id = w.work_id) AND r.status = 'running')
        -- the unchanged ids of a task's latest complete full read are its seen set (finishRun)
        AND NOT EXISTS (SELECT 1 FROM run r WHERE (r.id = w.work_id OR r.resume_root_id = w.work_id) AND r.seen_set_at IS NOT NULL)
        AND NOT EXISTS (
          SELECT 1 FROM (SELECT status, finished_at FROM run r WHERE r.id = w.work_id OR r.resume_root_id = w.work_id
                          ORDER BY r.started_at DESC, r.id DESC LIMIT 1) latest
           WHERE latest.status IN ('failed', 'cancelled') AND latest.finished_at > now() - make_interval(secs => $2::double precision / 1000))`,
    [staged.map((s) => s.run_id), resumeWindowMs],
  );
  for (const r of releasable) await releaseStaging(db, r.work_id);
  return releasable.map((r) => r.work_id);
}
