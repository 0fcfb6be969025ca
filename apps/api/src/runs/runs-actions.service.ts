import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ImportTaskRepository, type ImportTaskRow, type RunRow } from '@app/persistence';
import {
  RemovalDecisionRefusedError,
  RemovalDecisionUnansweredError,
  RunLauncher,
  TEMPORAL_CLIENT,
  resourcePathsOf,
  workflowIdOfRun,
  workflowIdPrefixForTask,
} from '@app/temporal';
import { ProblemException, conflict } from '../common/problem';
import { runView } from './run-view';
import { RunsService } from './runs.service';
import { RunHousekeepingService } from './run-housekeeping.service';
import { lastExecutionOfRun, resetPointBeforeFailedActivity } from './run-retry';
import { RunStarter, runRefusal } from './run-starter';

/** Run statuses a retry accepts: the run ended and nothing runs it any more. */
const RETRYABLE = ['failed', 'cancelled', 'terminated', 'timedOut'];

/** Retry from history, cancellation and removal approval: everything that acts on a run, through the run launcher. */
@Injectable()
export class RunActionsService {
  private readonly logger = new Logger('runs');

  constructor(
    private readonly runs: RunsService,
    private readonly tasks: ImportTaskRepository,
    private readonly housekeeping: RunHousekeepingService,
    private readonly runStarter: RunStarter,
    private readonly launcher: RunLauncher,
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
    if (strategy === 'resume' && old.stagingReleasedAt) {
      throw conflict('the staging of this run was removed after the resume window (STAGING_RESUME_WINDOW_HOURS); use strategy "restart"');
    }
    // rows that say running are checked against Temporal first, so a terminated run never blocks the task
    await this.housekeeping.reconcile({ taskId: old.taskId });
    const task = await this.tasks.get(old.taskId);
    if (!task) throw conflict('the task of this run was deleted; it cannot be retried');
    return strategy === 'restart' ? this.restart(old, task) : this.resume(old);
  }

  /** A new workflow with the same input, linked to the old run, started as run-now starts one. */
  private async restart(old: RunRow, task: ImportTaskRow) {
    const mode = old.mode;
    const generic = task.config.generic as { resourcePath?: string } | null | undefined;
    const started = await this.runStarter.start({
      taskId: old.taskId,
      workflowId: `${workflowIdPrefixForTask(old.taskId)}-retry-${new Date().toISOString()}`,
      input: { taskId: old.taskId, trigger: 'retry', mode, retryOf: old.id, ...(old.dryRun ? { dryRun: true } : {}) },
      description: { taskName: task.name, mode, trigger: 'retry', connectorId: task.connectorId, resources: resourcePathsOf(task.mappingsType, generic?.resourcePath) },
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
    if (!old.temporalRunId) throw conflict('this run has no Temporal execution to resume; use strategy "restart"');
    const workflowId = workflowIdOfRun(old);
    let point;
    try {
      await this.awaitClosed(workflowId, old.temporalRunId);
      const endedIn = await lastExecutionOfRun(this.client, this.config.temporalNamespace, workflowId, old.temporalRunId);
      await this.awaitClosed(workflowId, endedIn);
      point = await resetPointBeforeFailedActivity(this.client, workflowId, endedIn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict('the workflow history of this run is no longer retained by Temporal; use strategy "restart"');
      throw err;
    }
    if (!point) throw conflict('no failed or cancelled step found in this run\'s history to resume from; use strategy "restart"');
    let newRunId: string;
    try {
      newRunId = await this.launcher.resume(old, point);
    } catch (err) {
      throw runRefusal(err, this.logger);
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
    await this.launcher.cancel(run);
  }

  /** Approves or rejects the removals a run waits on: 409 with the run's reason when it does not take the decision, 503 when no worker answers. */
  async decideRemovals(id: string, approve: boolean) {
    const run = await this.runs.row(id);
    try {
      await this.launcher.decideRemovals(run, approve);
    } catch (err) {
      if (err instanceof RemovalDecisionRefusedError) throw conflict(err.message);
      if (err instanceof RemovalDecisionUnansweredError) {
        throw new ProblemException(
          HttpStatus.SERVICE_UNAVAILABLE,
          `no worker answered the decision within ${err.timeoutMs / 1000} s (are the workers running?); the request is safe to repeat`,
        );
      }
      throw err;
    }
    return this.runs.get(id);
  }
}
