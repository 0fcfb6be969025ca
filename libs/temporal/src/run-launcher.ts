import { randomUUID } from 'node:crypto';
import type Long from 'long';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type Workflow,
} from '@temporalio/client';
import { RunRepository, type Db, type RunRow, type Sql } from '@app/persistence';
import { approveRemovalsSignal, decideRemovalsUpdate, rejectRemovalsSignal, runProgressSignal } from '../../../workflows/definitions';
import { IMPORT_TASK_ID, IMPORT_TASK_NAME, IMPORT_TASK_WORKFLOW, WORKFLOW_RUN_TIMEOUT, workflowIdPrefixForTask } from './constants';
import type { FailureRef, ImportTaskInput, RemovalDecision, RunExecutionRef, RunMode, RunProgressReport, RunTrigger } from './contracts';
import { runStaticDetails, runStaticSummary, type RunDescription } from './run-summary';

/** How long the API waits for a worker to answer a removal decision. */
export const DECISION_ANSWER_TIMEOUT_MS = 15_000;
/** Pause before the decision is asked again while the stored state is ahead of the workflow. */
const DECISION_RETRY_PAUSE_MS = 250;
/** What a workflow of the version before the `decideRemovals` Update answers to it. */
const NO_UPDATE_HANDLER = `No registered handler for update: ${decideRemovalsUpdate.name}`;

/**
 * Tells a run's workflow execution how far its read or load has come, for the Temporal UI's
 * current details (the activities that read and load send it; see runProgressSignal). It steers
 * nothing: the workflow only shows it.
 */
export async function signalRunProgress(client: Client, execution: { workflowId: string; runId?: string }, report: RunProgressReport): Promise<void> {
  await client.workflow.getHandle(execution.workflowId, execution.runId).signal(runProgressSignal, report);
}

/** What starts an import run's workflow: the schedule's action and the runs the API starts. */
export interface RunWorkflowStart {
  taskId: string;
  taskName: string;
  workflowId: string;
  input: ImportTaskInput;
  /** what the Temporal UI shows for the run before its history is opened */
  description?: RunDescription;
}

/** The one definition of how an import run's workflow starts (type, queue, timeout, search attributes, UI summary). */
export function runWorkflowStartOptions(start: RunWorkflowStart, taskQueue: string) {
  const args: [ImportTaskInput] = [start.input];
  return {
    workflowType: IMPORT_TASK_WORKFLOW,
    workflowId: start.workflowId,
    taskQueue,
    args,
    workflowRunTimeout: WORKFLOW_RUN_TIMEOUT,
    // what the Temporal UI shows for the run: task, mode, trigger; connector and resources
    ...(start.description && { staticSummary: runStaticSummary(start.description), staticDetails: runStaticDetails(start.description) }),
    typedSearchAttributes: [
      { key: IMPORT_TASK_ID, value: start.taskId },
      { key: IMPORT_TASK_NAME, value: start.taskName },
    ],
  };
}

/**
 * The action of a task's schedule. Scheduled starts carry no trigger (prepareRun records them as
 * `schedule`); the schedule appends a timestamp to the workflow id.
 */
export function scheduledRunAction(
  task: { id: string; name: string; describe?: Omit<RunDescription, 'taskName' | 'trigger'> },
  taskQueue: string,
): ScheduleOptionsStartWorkflowAction<Workflow> {
  const description = task.describe && { ...task.describe, taskName: task.name, trigger: 'schedule' as const };
  return {
    type: 'startWorkflow',
    ...runWorkflowStartOptions({ taskId: task.id, taskName: task.name, workflowId: workflowIdPrefixForTask(task.id), input: { taskId: task.id }, description }, taskQueue),
  };
}

/** The Temporal workflow id of a run row (a resumed run's row key carries a `#resume-…` suffix). */
export function workflowIdOfRun(row: Pick<RunRow, 'workflowId'>): string {
  return row.workflowId.split('#')[0];
}

/** The task already has a running run (the one-running-run index refused another); `holder` is that run when it could be read. */
export class RunInProgressError extends Error {
  constructor(
    readonly taskId: string,
    readonly holder: RunRow | null,
  ) {
    super(`a run of task ${taskId} is already in progress${holder ? ` (run ${holder.id})` : ''}`);
    this.name = 'RunInProgressError';
  }
}

/** Temporal did not start a run's workflow (its row was rolled back). */
export class RunNotStartedError extends Error {
  constructor(
    readonly trigger: RunTrigger,
    readonly taskId: string,
    readonly temporalError: unknown,
  ) {
    super(`${trigger} run of task ${taskId}: Temporal did not start the workflow: ${temporalError instanceof Error ? temporalError.message : String(temporalError)}`);
    this.name = 'RunNotStartedError';
  }
}

/** The run did not take the removal decision; the message is the workflow's (or the row's) reason. */
export class RemovalDecisionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemovalDecisionRefusedError';
  }
}

/** No worker answered the removal decision in time; asking again is safe (the Update id is fixed). */
export class RemovalDecisionUnansweredError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no worker answered the decision within ${timeoutMs / 1000} s`);
    this.name = 'RemovalDecisionUnansweredError';
  }
}

/** A run the API starts itself (run-now, restart). */
export interface RunStart {
  taskId: string;
  workflowId: string;
  input: ImportTaskInput & Required<Pick<ImportTaskInput, 'mode'>> & { trigger: 'manual' | 'retry' };
  description: RunDescription;
}

/** Where a resume resets to: an execution of the run's workflow and a WorkflowTaskCompleted event in it. */
export interface ResetPoint {
  runId: string;
  eventId: Long;
  activityType: string;
}

/** What prepareRun decided for the run of a workflow execution (see RunLauncher.prepare). */
export interface PreparedRun {
  taskId: string;
  execution: RunExecutionRef;
  /** the row keyed by this workflow id, if the API or an earlier attempt made it */
  prior: RunRow | null;
  /** the row that shows the run: the newest row resuming `prior`, else `prior` itself */
  showingId: string | undefined;
  mode: RunMode;
  trigger: RunTrigger;
  retryOf: string | null;
  dryRun: boolean;
  snapshot: unknown;
}

/** Closes the row that holds a task's one-running-run index when its workflow is gone; false when it still runs (or nobody can tell). */
export type ReleaseIfGone = (holder: RunRow, tx: Sql) => Promise<boolean>;

export interface RunLauncherConfig {
  taskQueue: string;
  namespace: string;
}

/**
 * The one place that creates run rows and starts, resumes, cancels or decides a run: run-now and
 * restart (start), the schedule's action (scheduledRunAction), resume (a Temporal reset),
 * cancellation, removal decisions, the row of a schedule-started run (prepare, in the worker) and
 * the row of a run that failed before it had one (rowOfFailure).
 *
 * One running run per task has one rule: the partial unique index run_one_running_per_task.
 * Every statement that makes a row running claims it (RunRepository.claimRunning), and a refusal
 * becomes RunInProgressError in `claim` (the API answers 409, prepareRun fails non-retryably).
 */
export class RunLauncher {
  constructor(
    private readonly client: Client,
    private readonly db: Db,
    private readonly config: RunLauncherConfig,
  ) {}

  /**
   * Runs `statements` (that make a row of `taskId` running) under the one-running-run index. When
   * another run holds it and `releaseIfGone` closes that run (its workflow is gone), the claim is
   * tried again; otherwise RunInProgressError.
   */
  static async claim<T>(tx: Sql, taskId: string, statements: () => Promise<T>, releaseIfGone?: ReleaseIfGone): Promise<T> {
    const runs = new RunRepository(tx);
    for (let attempt = 1; ; attempt++) {
      const result = await runs.claimRunning(tx, statements);
      if (result.claimed) return result.value;
      const holder = await runs.runningOfTask(taskId, tx);
      // the holder finished (or was closed) in between: claim again
      const released = releaseIfGone !== undefined && (holder === null || (await releaseIfGone(holder, tx)));
      if (!released || attempt >= 3) throw new RunInProgressError(taskId, holder);
    }
  }

  /**
   * The row a failure is recorded on, in recordFailure's transaction: the run the activities
   * carry, else the row of the workflow execution, else (the workflow failed before prepareRun
   * wrote one) a new row, failed from the start. A failed row never holds the one-running-run index.
   */
  static async rowOfFailure(tx: Sql, ref: FailureRef): Promise<string> {
    const runs = new RunRepository(tx);
    return ref.runId || (await runs.idOfWorkflow(ref.workflowId, tx)) || (await runs.insertFailed(ref, tx));
  }

  /**
   * Creates (or takes over) the row of a workflow execution's run, in prepareRun's transaction.
   * Returns the run id its activities carry.
   */
  static async prepare(tx: Sql, run: PreparedRun, releaseIfGone: ReleaseIfGone): Promise<string> {
    const runs = new RunRepository(tx);
    const { prior, showingId, execution } = run;
    // a prepared run (activity retry, or a reset to the start) keeps its decisions
    if (prior?.configSnapshot) {
      await RunLauncher.claim(tx, run.taskId, () => runs.markPreparing(showingId ?? prior.id, execution.temporalRunId, tx), releaseIfGone);
      return prior.id;
    }
    // a resumed run's old row keeps its failed status: the resuming row is the one that runs
    const resuming = showingId !== prior?.id ? showingId : undefined;
    return RunLauncher.claim(
      tx,
      run.taskId,
      async () => {
        const id = await runs.recordPrepared(
          {
            taskId: run.taskId,
            workflowId: execution.workflowId,
            temporalRunId: execution.temporalRunId,
            mode: run.mode,
            trigger: run.trigger,
            retryOf: run.retryOf,
            snapshot: run.snapshot,
            resumed: resuming !== undefined,
            dryRun: run.dryRun,
          },
          tx,
        );
        if (resuming) await runs.markResumedPreparing(resuming, execution.temporalRunId, run.mode, run.snapshot, tx);
        return id;
      },
      releaseIfGone,
    );
  }

  /**
   * Starts a run's workflow (run-now, restart). The row is inserted as running in the same
   * transaction that starts the workflow and commits only once Temporal accepted it: the index
   * makes every concurrent start wait for the first and then fail with RunInProgressError, and a
   * start that fails rolls the row back. No workflow is started without its row, so concurrent
   * starts leave no orphan workflow. A scheduled start that comes in between is refused by the
   * same index in prepare.
   */
  async start(run: RunStart): Promise<RunRow> {
    const { taskId, workflowId, input, description } = run;
    return this.db.transaction(async (tx) => {
      const runs = new RunRepository(tx);
      const row = await RunLauncher.claim(tx, taskId, () =>
        runs.insertStarting({ taskId, workflowId, mode: input.mode, trigger: input.trigger, retryOf: input.retryOf ?? null, dryRun: input.dryRun === true }, tx),
      );
      const { workflowType, ...options } = runWorkflowStartOptions({ taskId, taskName: description.taskName, workflowId, input, description }, this.config.taskQueue);
      const handle = await this.client.workflow.start(workflowType, options).catch((err: unknown) => {
        throw new RunNotStartedError(input.trigger, taskId, err);
      });
      await runs.setExecution(row.id, handle.firstExecutionRunId, tx);
      return { ...row, temporalRunId: handle.firstExecutionRunId };
    });
  }

  /**
   * Resumes a failed or cancelled run: a Temporal reset to `point` continues it under a new row
   * (RunRepository.insertResuming). The new row holds the one-running-run index before the
   * reset: a concurrent retry waits for it, then gets RunInProgressError. Returns the new row's id.
   */
  async resume(old: RunRow, point: ResetPoint): Promise<string> {
    const workflowId = workflowIdOfRun(old);
    const newRunId = await this.db.transaction((tx) =>
      RunLauncher.claim(tx, old.taskId, () => new RunRepository(tx).insertResuming(old.id, workflowId, randomUUID().slice(0, 8), point.activityType, tx)),
    );
    const runs = new RunRepository(this.db);
    try {
      const res = await this.client.workflowService.resetWorkflowExecution({
        namespace: this.config.namespace,
        workflowExecution: { workflowId, runId: point.runId },
        reason: `retry of run ${old.id} (resume from ${point.activityType})`,
        workflowTaskFinishEventId: point.eventId,
        requestId: randomUUID(),
      });
      await runs.setResumedExecution(newRunId, res.runId);
    } catch (err) {
      await runs.deleteResuming(newRunId);
      throw err;
    }
    return newRunId;
  }

  /** Cancels a running run: its workflow's latest execution (continue-as-new and resets move on from temporal_run_id). */
  async cancel(run: RunRow): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowIdOfRun(run)).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await new RunRepository(this.db).markCancelled(run.id);
    }
  }

  /**
   * Sends the decision as an Update: the workflow's validator answers whether the run takes it
   * (RemovalDecisionRefusedError with its reason otherwise). A run whose worker predates the
   * Update (a deploy or rollback in progress) gets the signal it knows, after the stored state
   * says it is waiting.
   *
   * The stored state can be ahead of the workflow for a moment: a resumed run is marked waiting
   * again before its workflow has redone reconcile, and a run that continues as new to wait is
   * briefly between executions. While the run row says it waits, a refusal is asked again until
   * the answer deadline; what the workflow says then is the answer.
   */
  async decideRemovals(run: RunRow, approve: boolean): Promise<void> {
    if (run.status !== 'running') throw new RemovalDecisionRefusedError(`this run is not waiting for a removal decision; it is ${run.status}`);
    const runs = new RunRepository(this.db);
    const handle = this.client.workflow.getHandle(workflowIdOfRun(run));
    const decision: RemovalDecision = approve ? 'approve' : 'reject';
    const deadline = Date.now() + DECISION_ANSWER_TIMEOUT_MS;
    const storedAsWaiting = async () => {
      const row = await runs.find(run.id);
      return row?.status === 'running' && (row.removal as { state?: string } | null)?.state === 'awaitingApproval';
    };
    for (;;) {
      let refusal: string;
      try {
        // one id per run and decision: a repeated request is the same Update, answered once
        await this.client.withDeadline(deadline, () =>
          handle.executeUpdate(decideRemovalsUpdate, { args: [decision], updateId: `removal-decision-${run.id}-${decision}` }),
        );
        return;
      } catch (err) {
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new RemovalDecisionUnansweredError(DECISION_ANSWER_TIMEOUT_MS);
        if (err instanceof WorkflowNotFoundError) {
          refusal = 'this run is not waiting for a removal decision; its workflow has ended';
        } else if (err instanceof WorkflowUpdateFailedError) {
          refusal = err.cause?.message ?? err.message;
          if (refusal === NO_UPDATE_HANDLER) {
            if (!(await storedAsWaiting())) throw new RemovalDecisionRefusedError('this run is not waiting for a removal decision');
            await handle.signal(approve ? approveRemovalsSignal : rejectRemovalsSignal);
            return;
          }
        } else {
          throw err;
        }
      }
      if (Date.now() > deadline - DECISION_RETRY_PAUSE_MS || !(await storedAsWaiting())) throw new RemovalDecisionRefusedError(refusal);
      await new Promise((r) => setTimeout(r, DECISION_RETRY_PAUSE_MS));
    }
  }
}
