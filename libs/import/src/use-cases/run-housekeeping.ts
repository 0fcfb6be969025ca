import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { RemovalCandidateRepository, RunRepository, StagingRepository, type Db, type Sql } from '@app/persistence';

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
  const workId = await new RunRepository(db).closeFromTemporal(runRowId, state);
  if (workId === null) return false;
  if (state.status === 'terminated' || state.status === 'timedOut') await releaseStaging(db, workId);
  return true;
}

/**
 * Releases the staging (its marker and rows: StagingRepository.releaseRun) and pending removal
 * candidates of a run (keyed by the id its activities carry) and notes when. Works inside a
 * transaction; the emptied partition itself is dropped by sweepStaging.
 */
export async function releaseStaging(db: Sql, workId: string): Promise<void> {
  await StagingRepository.releaseRun(db, workId);
  await new RemovalCandidateRepository(db).dropPending(workId);
  await new RunRepository(db).markStagingReleased(workId);
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
  const open = await new RunRepository(db).openRuns(filter);
  const closed: ReconciledRun[] = [];
  for (const row of open) {
    // a resume inserts its row before Temporal has created the reset execution
    if (!row.temporalRunId && Date.now() - row.startedAt.getTime() < UNBOUND_GRACE_MS) continue;
    const state = await temporalRunState(client, namespace, row.workflowId);
    if (state.open !== false) continue;
    if (state.error.type === 'WorkflowNotFound' && Date.now() - row.startedAt.getTime() < NOT_FOUND_GRACE_MS) continue;
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
export async function sweepStaging(db: Db, resumeWindowMs: number): Promise<string[]> {
  const runs = new RunRepository(db);
  const staging = new StagingRepository(db, runs);
  const partitions = new Set(await staging.stagedRunIds());
  const staged = new Set([...partitions, ...(await new RemovalCandidateRepository(db).pendingRunIds())]);
  if (!staged.size) return [];
  const releasable = await runs.releasableWorkIds([...staged], resumeWindowMs);
  for (const workId of releasable) {
    await releaseStaging(db, workId);
    // a run's staging is a partition of its own: it goes whole (staging-partition.ts)
    if (partitions.has(workId)) await staging.dropReleased([workId]);
  }
  return releasable;
}
