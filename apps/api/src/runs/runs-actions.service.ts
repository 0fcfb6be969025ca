import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  TEMPORAL_CLIENT,
  resourcePathsOf,
  workflowIdPrefixForTask,
  type RemovalDecision,
  type RunMode,
} from '@app/temporal';
import { approveRemovalsSignal, decideRemovalsUpdate, rejectRemovalsSignal } from '../../../../workflows/definitions';
import { ProblemException, conflict } from '../common/problem';
import { runView, type RunRow } from './run-view';
import { RunsService } from './runs.service';
import { RunHousekeepingService } from './run-housekeeping.service';
import { lastExecutionOfRun, resetPointBeforeFailedActivity } from './run-retry';
import { assertNoRunningRun } from './running-run';
import { isUniqueViolation, RunStarter } from './run-starter';

/** How long the API waits for a worker to answer a removal decision before it answers 503. */
const DECISION_ANSWER_TIMEOUT_MS = 15_000;
/** Pause before the decision is asked again while the stored state is ahead of the workflow. */
const DECISION_RETRY_PAUSE_MS = 250;

/** What a workflow of the version before the `decideRemovals` Update answers to it. */
const NO_UPDATE_HANDLER = `No registered handler for update: ${decideRemovalsUpdate.name}`;

/** What a retry reads of the run's task: its name and what the Temporal UI shows for a restart. */
interface RetriedTask {
  name: string;
  connector_id: string;
  mappings_type: string;
  config: { generic?: { resourcePath?: string } | null };
}

/** Run statuses a retry accepts: the run ended and nothing runs it any more. */
const RETRYABLE = ['failed', 'cancelled', 'terminated', 'timedOut'];

/** The Temporal workflow id of a run row (a resumed run's row key carries a `#resume-…` suffix). */
export function temporalWorkflowId(row: Pick<RunRow, 'workflow_id'>): string {
  return row.workflow_id.split('#')[0];
}

/** Retry from history, cancellation and removal approval: everything that acts on a run. */
@Injectable()
export class RunActionsService {
  private readonly logger = new Logger('runs');

  constructor(
    private readonly ds: DataSource,
    private readonly runs: RunsService,
    private readonly housekeeping: RunHousekeepingService,
    private readonly runStarter: RunStarter,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async retry(id: string, strategy: 'resume' | 'restart') {
    await this.housekeeping.reconcile({ runId: id });
    const old = await this.runs.row(id);
    if (!RETRYABLE.includes(old.status)) throw conflict(`only failed, cancelled, terminated or timed-out runs can be retried; this run is ${old.status}`);
    if (strategy === 'resume' && (old.status === 'terminated' || old.status === 'timedOut')) {
      throw conflict(`a ${old.status} run ended without its own clean-up and its staging was released; use strategy "restart"`);
    }
    if (strategy === 'resume' && old.staging_released_at) {
      throw conflict('the staging of this run was removed after the resume window (STAGING_RESUME_WINDOW_HOURS); use strategy "restart"');
    }
    await this.housekeeping.reconcile({ taskId: old.task_id });
    await assertNoRunningRun(this.ds, old.task_id);
    const tasks: RetriedTask[] = await this.ds.query(`SELECT name, connector_id, mappings_type, config FROM import_task WHERE id = $1`, [old.task_id]);
    if (!tasks.length) throw conflict('the task of this run was deleted; it cannot be retried');
    return strategy === 'restart' ? this.restart(old, tasks[0]) : this.resume(old);
  }

  /** A new workflow with the same input, linked to the old run, started as run-now starts one (RunStarter). */
  private async restart(old: RunRow, task: RetriedTask) {
    const mode = old.mode as RunMode;
    const started = await this.runStarter.start({
      taskId: old.task_id,
      workflowId: `${workflowIdPrefixForTask(old.task_id)}-retry-${new Date().toISOString()}`,
      input: { taskId: old.task_id, trigger: 'retry', mode, retryOf: old.id, ...(old.dry_run ? { dryRun: true } : {}) },
      description: { taskName: task.name, mode, trigger: 'retry', connectorId: task.connector_id, resources: resourcePathsOf(task.mappings_type, task.config.generic?.resourcePath) },
    });
    return runView(started, this.config);
  }

  /**
   * Temporal reset to just before the failed activity: completed steps (and their staging data)
   * are kept. The reset execution continues under a new run row linked to the old one (retry_of);
   * that row's workflow_id carries a `#resume-…` suffix (workflow_id is unique per row) which
   * views strip. Its resume_root_id names the run whose id the replayed activities still carry:
   * they write run-level state to the newest row resuming that root (RunRepository.rowOf).
   */
  private async resume(old: RunRow) {
    if (!old.temporal_run_id) throw conflict('this run has no Temporal execution to resume; use strategy "restart"');
    const workflowId = temporalWorkflowId(old);
    let point;
    try {
      await this.awaitClosed(workflowId, old.temporal_run_id);
      const endedIn = await lastExecutionOfRun(this.client, this.config.temporalNamespace, workflowId, old.temporal_run_id);
      await this.awaitClosed(workflowId, endedIn);
      point = await resetPointBeforeFailedActivity(this.client, workflowId, endedIn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict('the workflow history of this run is no longer retained by Temporal; use strategy "restart"');
      throw err;
    }
    if (!point) throw conflict('no failed or cancelled step found in this run\'s history to resume from; use strategy "restart"');
    // the new row holds the one-running-run-per-task index before the reset: a concurrent retry waits for it, then gets 409
    const newRunId = await this.ds.transaction(async (em) => {
      const rows: Array<{ id: string }> = await em.query(
        `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, retry_of, resume_root_id,
                          stats, extract_reports, removal, notes, config_snapshot, started_at, dry_run)
         SELECT task_id, $4 || '#resume-' || $2, NULL, mode, 'retry', 'running', 'resuming', id, COALESCE(resume_root_id, id),
                stats, extract_reports,
                -- removals the cancel dropped while they waited for a decision wait again (nothing was applied)
                CASE WHEN status = 'cancelled' AND removal->>'state' = 'cancelled' AND removal ? 'decisionDeadline' AND COALESCE((removal->>'removed')::int, 0) = 0
                     THEN (removal - 'reason') || jsonb_build_object('state', 'awaitingApproval') ELSE removal END,
                notes || to_jsonb(ARRAY['resumed from the ' || CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'failed' END || ' step ' || $3::text || ' of run ' || id::text]), config_snapshot, now(), dry_run
         FROM run WHERE id = $1 RETURNING id`,
        [old.id, randomUUID().slice(0, 8), point.activityType, workflowId],
      );
      // earlier per-record outcomes belong to the resumed run too: it continues the same work
      await em.query(
        `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
         SELECT $2, kind, source_id, unique_value, datacard_id, outcome, message FROM run_record WHERE run_id = $1 ORDER BY id`,
        [old.id, rows[0].id],
      );
      return rows[0].id;
    }).catch(async (err: unknown) => {
      throw isUniqueViolation(err) ? await this.runStarter.alreadyRunning(old.task_id) : err;
    });
    try {
      const res = await this.client.workflowService.resetWorkflowExecution({
        namespace: this.config.temporalNamespace,
        workflowExecution: { workflowId, runId: point.runId },
        reason: `retry of run ${old.id} (resume from ${point.activityType})`,
        workflowTaskFinishEventId: point.eventId,
        requestId: randomUUID(),
      });
      // a run resumed into its wait for a removal decision runs no step before it waits again
      await this.ds.query(
        `UPDATE run SET temporal_run_id = $2, phase = CASE WHEN removal->>'state' = 'awaitingApproval' THEN 'removalApproval' ELSE 'queued' END WHERE id = $1`,
        [newRunId, res.runId],
      );
    } catch (err) {
      // outcomes carry no foreign key (a load writes them by the hundred thousand): drop the copies first
      await this.ds.query(`DELETE FROM run_record WHERE run_id = $1`, [newRunId]);
      await this.ds.query(`DELETE FROM run WHERE id = $1`, [newRunId]);
      throw err;
    }
    this.logger.log(`run ${old.id} (${old.status}) resumed as run ${newRunId} from its ${point.activityType} step`);
    return this.runs.get(newRunId);
  }

  /**
   * The run row turns failed (recordFailure) a moment before its workflow execution closes;
   * resetting in between would reset a still-running execution, so wait for the close.
   */
  private async awaitClosed(workflowId: string, runId: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const d = await this.client.workflow.getHandle(workflowId, runId).describe();
      if (d.status.name !== 'RUNNING') return;
      if (Date.now() > deadline) throw conflict('the workflow of this run is still closing; try again in a moment');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async cancel(id: string): Promise<void> {
    const run = await this.runs.row(id);
    if (run.status !== 'running') throw conflict(`only a running run can be cancelled; this run is ${run.status}`);
    try {
      // the latest execution of the workflow: continue-as-new and resets move on from temporal_run_id
      await this.client.workflow.getHandle(temporalWorkflowId(run)).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await this.ds.query(`UPDATE run SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'running'`, [id]);
    }
  }

  /**
   * Sends the decision as an Update: the workflow's validator answers whether the run takes it
   * (409 with its reason otherwise). A run whose worker predates the Update (a deploy or rollback
   * in progress) gets the signal it knows, after the stored state says it is waiting.
   *
   * The stored state can be ahead of the workflow for a moment: a resumed run is marked waiting
   * again before its workflow has redone reconcile, and a run that continues as new to wait is
   * briefly between executions. While the run row says it waits, a refusal is asked again until
   * the answer deadline; what the workflow says then is the answer.
   */
  async decideRemovals(id: string, approve: boolean) {
    const first = await this.runs.row(id);
    if (first.status !== 'running') throw conflict(`this run is not waiting for a removal decision; it is ${first.status}`);
    const handle = this.client.workflow.getHandle(temporalWorkflowId(first));
    const decision: RemovalDecision = approve ? 'approve' : 'reject';
    const deadline = Date.now() + DECISION_ANSWER_TIMEOUT_MS;
    const storedAsWaiting = async () => {
      const row = await this.runs.row(id);
      return row.status === 'running' && (row.removal as { state?: string } | null)?.state === 'awaitingApproval';
    };
    for (;;) {
      let refusal: string;
      try {
        // one id per run and decision: a repeated request is the same Update, answered once
        await this.client.withDeadline(deadline, () =>
          handle.executeUpdate(decideRemovalsUpdate, { args: [decision], updateId: `removal-decision-${id}-${decision}` }),
        );
        return this.runs.get(id);
      } catch (err) {
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new ProblemException(
            HttpStatus.SERVICE_UNAVAILABLE,
            `no worker answered the decision within ${DECISION_ANSWER_TIMEOUT_MS / 1000} s (are the workers running?); the request is safe to repeat`,
          );
        }
        if (err instanceof WorkflowNotFoundError) {
          refusal = 'this run is not waiting for a removal decision; its workflow has ended';
        } else if (err instanceof WorkflowUpdateFailedError) {
          refusal = err.cause?.message ?? err.message;
          if (refusal === NO_UPDATE_HANDLER) {
            if (!(await storedAsWaiting())) throw conflict('this run is not waiting for a removal decision');
            await handle.signal(approve ? approveRemovalsSignal : rejectRemovalsSignal);
            return this.runs.get(id);
          }
        } else {
          throw err;
        }
      }
      if (Date.now() > deadline - DECISION_RETRY_PAUSE_MS || !(await storedAsWaiting())) throw conflict(refusal);
      await new Promise((r) => setTimeout(r, DECISION_RETRY_PAUSE_MS));
    }
  }
}
