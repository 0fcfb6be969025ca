import type { Client } from '@temporalio/client';
import type { ImportTaskInput, RunExecutionRef, RunMode, RunPlan, RunTrigger } from '@app/temporal';
import { closeRunFromTemporal, temporalRunState, type TemporalRunState } from '../use-cases/run-housekeeping';
import type { Db, Sql } from '@app/persistence';
import { ImportConfigError, RunAlreadyInProgressError } from '../errors/import-errors';
import { RunRepository } from '@app/persistence';
import { resourcesFor, type ConnectorSnapshot, type MappingsType, type RunConfigSnapshot, type TaskConfig } from '../run-config/task-config';

/** Incremental reads start this much before the watermark: clocks and commit order differ. */
export const INCREMENTAL_OVERLAP_MS = 5 * 60_000;

interface TaskRow {
  id: string;
  name: string;
  type: 'full' | 'incremental';
  mappings_type: MappingsType;
  config: TaskConfig;
  config_version: number;
  watermark: Date | null;
  connector_id: string;
}

interface ConnectorRow {
  id: string;
  base_url: string;
  auth_type: ConnectorSnapshot['authType'];
  auth_public: ConnectorSnapshot['authPublic'];
  page_size: number;
  timeout_ms: number;
  rate_limit_per_second: number | null;
  tls: ConnectorSnapshot['tls'];
}

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
 * Creates (or takes over) the run row of this workflow execution: consumes a pending run-now
 * request, decides trigger and mode, snapshots the task (no secrets), and takes the per-task
 * lock. Returns references only.
 */
export async function prepareRun(
  db: Db,
  isWorkflowRunning: WorkflowLiveness,
  input: ImportTaskInput,
  execution: RunExecutionRef,
): Promise<RunPlan> {
  return db.transaction(async (tx) => {
    const { rows: tasks } = await tx.query<TaskRow>(
      `SELECT id, name, type, mappings_type, config, config_version, watermark, connector_id
         FROM import_task WHERE id = $1 FOR UPDATE`,
      [input.taskId],
    );
    const task = tasks[0];
    if (!task) throw new ImportConfigError(`task ${input.taskId} does not exist (deleted while its schedule still ran?)`);
    const resources = resourcesFor(task.mappings_type, task.config);

    const { rows: connectors } = await tx.query<ConnectorRow>(
      `SELECT id, base_url, auth_type, auth_public, page_size, timeout_ms, rate_limit_per_second, tls FROM connector WHERE id = $1`,
      [task.connector_id],
    );
    const connector = connectors[0];
    if (!connector) throw new ImportConfigError(`connector ${task.connector_id} of task ${task.name} does not exist`);

    const existing = await tx.query<{ id: string; trigger: RunTrigger; mode: RunMode; retry_of: string | null; dry_run: boolean; config_snapshot: unknown }>(
      `SELECT id, trigger, mode, retry_of, dry_run, config_snapshot FROM run WHERE workflow_id = $1`,
      [execution.workflowId],
    );
    const prior = existing.rows[0];

    // A run resumed from history (POST /runs/:id/retry) shows on its own row; the old one stays failed.
    const showing = prior ? await new RunRepository(tx).rowOf(prior.id) : undefined;

    // A prepared run (activity retry, or a reset to the start) keeps its decisions.
    if (prior?.config_snapshot) {
      await takeLock(tx, isWorkflowRunning, task.id, execution.workflowId);
      await tx.query(
        `UPDATE run SET status = 'running', phase = 'prepare', finished_at = NULL, error = NULL, temporal_run_id = $2 WHERE id = $1`,
        [showing ?? prior.id, execution.temporalRunId],
      );
      const snapshot = prior.config_snapshot as RunConfigSnapshot;
      return plan(prior.id, task.id, prior.mode, resourcesFor(snapshot.mappingsType, snapshot.config), prior.dry_run);
    }

    // Scheduled starts carry no trigger; run-now and restart start their workflows with one.
    let trigger: RunTrigger = input.trigger ?? 'schedule';
    const requestedMode = input.mode;
    const retryOf = input.retryOf ?? prior?.retry_of ?? null;
    const dryRun = input.dryRun ?? prior?.dry_run ?? false;
    if (!input.trigger && prior) trigger = prior.trigger;
    const mode = decideMode(task.type, requestedMode ?? prior?.mode, task.watermark);

    const snapshot: RunConfigSnapshot = {
      taskId: task.id,
      taskName: task.name,
      configVersion: task.config_version,
      type: task.type,
      mappingsType: task.mappings_type,
      config: task.config,
      connector: {
        id: connector.id,
        baseUrl: connector.base_url,
        authType: connector.auth_type,
        authPublic: connector.auth_public,
        pageSize: connector.page_size,
        timeoutMs: connector.timeout_ms,
        rateLimitPerSecond: connector.rate_limit_per_second,
        tls: connector.tls,
      },
      since: mode === 'incremental' && task.watermark ? new Date(task.watermark.getTime() - INCREMENTAL_OVERLAP_MS).toISOString() : null,
    };

    await takeLock(tx, isWorkflowRunning, task.id, execution.workflowId);
    // The API may already have inserted the row (status running) to answer run-now at once.
    const resumed = showing !== undefined && showing !== prior?.id;
    // a resumed run's old row keeps its failed status: the resuming row is the one that runs
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase, retry_of, config_snapshot, dry_run)
       VALUES ($1, $2, $3, $4, $5, 'running', 'prepare', $6, $7, $9)
       ON CONFLICT (workflow_id) DO UPDATE SET
         temporal_run_id = CASE WHEN $8 THEN run.temporal_run_id ELSE EXCLUDED.temporal_run_id END, mode = EXCLUDED.mode, trigger = EXCLUDED.trigger,
         status = CASE WHEN $8 THEN run.status ELSE 'running' END, phase = CASE WHEN $8 THEN run.phase ELSE 'prepare' END,
         retry_of = COALESCE(run.retry_of, EXCLUDED.retry_of),
         config_snapshot = EXCLUDED.config_snapshot, started_at = now(), dry_run = EXCLUDED.dry_run,
         finished_at = CASE WHEN $8 THEN run.finished_at END, error = CASE WHEN $8 THEN run.error END
       RETURNING id`,
      [task.id, execution.workflowId, execution.temporalRunId, mode, trigger, retryOf, JSON.stringify(snapshot), resumed, dryRun],
    );
    if (resumed) {
      await tx.query(
        `UPDATE run SET status = 'running', phase = 'prepare', finished_at = NULL, error = NULL, temporal_run_id = $2, mode = $3, config_snapshot = $4 WHERE id = $1`,
        [showing, execution.temporalRunId, mode, JSON.stringify(snapshot)],
      );
    }
    return plan(rows[0].id, task.id, mode, resources, dryRun);
  });
}

function plan(runId: string, taskId: string, mode: RunMode, resources: ReturnType<typeof resourcesFor>, dryRun: boolean): RunPlan {
  return { runId, taskId, mode, resources: resources.map((r) => ({ kind: r.kind, path: r.path })), reconcile: mode === 'full', ...(dryRun ? { dryRun } : {}) };
}

/**
 * One running run per task. The partial unique index is the lock; a row left 'running' by a
 * workflow that is gone (terminated, timed out) would hold it forever, so such rows are closed
 * with the status Temporal reports. When Temporal cannot say, the other run counts as running.
 */
async function takeLock(tx: Sql, isWorkflowRunning: WorkflowLiveness, taskId: string, workflowId: string): Promise<void> {
  // a resumed run's row is keyed `<workflowId>#resume-…`: it is this same workflow, not another run
  const { rows } = await tx.query<{ id: string; workflow_id: string }>(
    `SELECT id, split_part(workflow_id, '#', 1) AS workflow_id FROM run
      WHERE task_id = $1 AND status = 'running' AND split_part(workflow_id, '#', 1) <> $2 FOR UPDATE`,
    [taskId, workflowId],
  );
  for (const other of rows) {
    const state = await isWorkflowRunning(other.workflow_id);
    if (state.open !== false) throw new RunAlreadyInProgressError(taskId, other.workflow_id);
    await closeRunFromTemporal(tx, other.id, state);
  }
}
