import type { Client } from '@temporalio/client';
import { RunInProgressError, RunLauncher, workflowIdOfRun, type ImportTaskInput, type ReleaseIfGone, type RunExecutionRef, type RunMode, type RunPlan, type RunTrigger } from '@app/temporal';
import { ConnectorRepository, ImportTaskRepository, RunRepository, type Db } from '@app/persistence';
import { closeRunFromTemporal, temporalRunState, type TemporalRunState } from '../use-cases/run-housekeeping';
import { ImportConfigError, RunAlreadyInProgressError } from '../errors/import-errors';
import { resourcesFor, type MappingsType, type RunConfigSnapshot, type TaskConfig } from '../run-config/task-config';

/** Incremental reads start this much before the watermark: clocks and commit order differ. */
export const INCREMENTAL_OVERLAP_MS = 5 * 60_000;

/** What Temporal says about the latest execution of a workflow id (see temporalRunState). */
export type WorkflowLiveness = (workflowId: string) => Promise<TemporalRunState>;

/** Liveness through a Temporal client (the worker's, or one passed in deps). */
export function livenessFromClient(client: Client | undefined, namespace: string): WorkflowLiveness {
  return async (workflowId) => (client ? temporalRunState(client, namespace, workflowId) : { open: undefined, reason: 'no Temporal client' });
}

/** Decides full or incremental: the first incremental run, and every run of a full task, reads everything. */
export function decideMode(taskType: 'full' | 'incremental', requested: RunMode | undefined, watermark: Date | null): RunMode {
  if (taskType === 'full') return 'full';
  if (requested === 'full') return 'full';
  return watermark ? 'incremental' : 'full';
}

/**
 * Creates (or takes over) the run row of this workflow execution through the run launcher:
 * decides trigger and mode, snapshots the task (no secrets) and holds the task's one-running-run
 * index (RunAlreadyInProgressError when another run of the task still runs). The task row stays
 * locked until the row is written, so two executions of a task prepare one after the other.
 * Returns references only.
 */
export async function prepareRun(
  db: Db,
  isWorkflowRunning: WorkflowLiveness,
  input: ImportTaskInput,
  execution: RunExecutionRef,
): Promise<RunPlan> {
  return db.transaction(async (tx) => {
    const task = await new ImportTaskRepository(tx).lock(input.taskId, tx);
    if (!task) throw new ImportConfigError(`task ${input.taskId} does not exist (deleted while its schedule still ran?)`);
    const taskType = task.type;
    const mappingsType = task.mappingsType as MappingsType;
    const config = task.config as unknown as TaskConfig;
    const resources = resourcesFor(mappingsType, config);

    const connector = await new ConnectorRepository(tx).get(task.connectorId);
    if (!connector) throw new ImportConfigError(`connector ${task.connectorId} of task ${task.name} does not exist`);

    const runs = new RunRepository(tx);
    const prior = await runs.findByWorkflowId(execution.workflowId, tx);
    // A run resumed from history (POST /runs/:id/retry) shows on its own row; the old one stays failed.
    const showingId = prior ? await runs.rowOf(prior.id) : undefined;
    const releaseIfGone = closeIfWorkflowGone(isWorkflowRunning);
    const claimed = (work: () => Promise<string>) =>
      work().catch((err: unknown) => {
        if (!(err instanceof RunInProgressError)) throw err;
        throw new RunAlreadyInProgressError(task.id, err.holder ? workflowIdOfRun(err.holder) : 'unknown');
      });

    // A prepared run (activity retry, or a reset to the start) keeps its decisions.
    if (prior?.configSnapshot) {
      const runId = await claimed(() =>
        RunLauncher.prepare(
          tx,
          { taskId: task.id, execution, prior, showingId, mode: prior.mode, trigger: prior.trigger, retryOf: prior.retryOf, dryRun: prior.dryRun, snapshot: prior.configSnapshot },
          releaseIfGone,
        ),
      );
      const snapshot = prior.configSnapshot as RunConfigSnapshot;
      return plan(runId, task.id, prior.mode, resourcesFor(snapshot.mappingsType, snapshot.config), prior.dryRun);
    }

    // Scheduled starts carry no trigger; run-now and restart start their workflows with one.
    let trigger: RunTrigger = input.trigger ?? 'schedule';
    const requestedMode = input.mode;
    const retryOf = input.retryOf ?? prior?.retryOf ?? null;
    const dryRun = input.dryRun ?? prior?.dryRun ?? false;
    if (!input.trigger && prior) trigger = prior.trigger;
    const mode = decideMode(taskType, requestedMode ?? prior?.mode, task.watermark);

    const snapshot: RunConfigSnapshot = {
      taskId: task.id,
      taskName: task.name,
      configVersion: task.configVersion,
      type: taskType,
      mappingsType,
      config,
      connector: {
        id: connector.id,
        baseUrl: connector.baseUrl,
        authType: connector.authType,
        authPublic: connector.authPublic,
        pageSize: connector.pageSize,
        timeoutMs: connector.timeoutMs,
        rateLimitPerSecond: connector.rateLimitPerSecond,
        tls: connector.tls,
        attributeProjection: connector.attributeProjection,
      },
      since: mode === 'incremental' && task.watermark ? new Date(task.watermark.getTime() - INCREMENTAL_OVERLAP_MS).toISOString() : null,
    };

    // The API may already have inserted the row (status running) to answer run-now at once.
    const runId = await claimed(() => RunLauncher.prepare(tx, { taskId: task.id, execution, prior, showingId, mode, trigger, retryOf, dryRun, snapshot }, releaseIfGone));
    return plan(runId, task.id, mode, resources, dryRun);
  });
}

function plan(runId: string, taskId: string, mode: RunMode, resources: ReturnType<typeof resourcesFor>, dryRun: boolean): RunPlan {
  return { runId, taskId, mode, resources: resources.map((r) => ({ kind: r.kind, path: r.path })), reconcile: mode === 'full', ...(dryRun ? { dryRun } : {}) };
}

/**
 * A row left 'running' by a workflow that is gone (terminated, timed out) would hold the task's
 * one-running-run index forever: such a row is closed with the status Temporal reports. When
 * Temporal cannot say, the other run counts as running.
 */
function closeIfWorkflowGone(isWorkflowRunning: WorkflowLiveness): ReleaseIfGone {
  return async (holder, tx) => {
    const state = await isWorkflowRunning(workflowIdOfRun(holder));
    if (state.open !== false) return false;
    await closeRunFromTemporal(tx, holder.id, state);
    return true;
  };
}
