import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  IMPORT_TASK_ID,
  IMPORT_TASK_NAME,
  IMPORT_TASK_WORKFLOW,
  TEMPORAL_CLIENT,
  WORKFLOW_RUN_TIMEOUT,
  runStaticDetails,
  runStaticSummary,
  type ImportTaskInput,
  type RunDescription,
} from '@app/temporal';
import { conflict, ProblemException } from '../common/problem';
import { isTemporalUnreachable } from '../common/temporal-unreachable';
import type { RunRow } from './run-view';

/** A run the API starts itself (run-now, restart): its workflow, its input and how the Temporal UI describes it. */
export interface RunStart {
  taskId: string;
  workflowId: string;
  input: ImportTaskInput & Required<Pick<ImportTaskInput, 'mode'>> & { trigger: 'manual' | 'retry' };
  description: RunDescription;
}

/** PostgreSQL unique_violation: here the one-running-run-per-task index (or a workflow id taken). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err as QueryFailedError & { code?: string }).code === '23505';
}

/**
 * The one way the API starts a run's workflow (the schedule's runs start in Temporal). The run
 * row is inserted as running in the same transaction that starts the workflow and commits only
 * once Temporal accepted it: the partial unique index (one running run per task) makes every
 * concurrent start wait for the first and then answer 409, and a start that fails rolls the row
 * back. No workflow is started without its row, so concurrent starts leave no orphan workflow.
 * A scheduled start that comes in between is refused by prepareRun's per-task lock.
 */
@Injectable()
export class RunStarter {
  private readonly logger = new Logger('runs');

  constructor(
    private readonly ds: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Inserts the run row and starts its workflow; 409 when the task already has a running run. */
  async start(run: RunStart): Promise<RunRow> {
    const { taskId, workflowId, input, description } = run;
    try {
      return await this.ds.transaction(async (em) => {
        const rows: RunRow[] = await em.query(
          `INSERT INTO run (task_id, workflow_id, mode, trigger, status, phase, retry_of, dry_run)
           VALUES ($1, $2, $3, $4, 'running', 'queued', $5, $6) RETURNING *`,
          [taskId, workflowId, input.mode, input.trigger, input.retryOf ?? null, input.dryRun === true],
        );
        const handle = await this.client.workflow
          .start(IMPORT_TASK_WORKFLOW, {
            args: [input],
            workflowId,
            taskQueue: this.config.taskQueue,
            workflowRunTimeout: WORKFLOW_RUN_TIMEOUT,
            // what the Temporal UI shows for the run: task, mode, trigger; connector and resources
            staticSummary: runStaticSummary(description),
            staticDetails: runStaticDetails(description),
            typedSearchAttributes: [
              { key: IMPORT_TASK_ID, value: taskId },
              { key: IMPORT_TASK_NAME, value: description.taskName },
            ],
          })
          .catch((err: unknown) => {
            // unreachable: the problem filter answers 503 with Retry-After; the transaction rolls the row back either way
            if (isTemporalUnreachable(err)) throw err;
            this.logger.error(`${input.trigger} run of task ${taskId}: Temporal did not start the workflow: ${err instanceof Error ? err.message : String(err)}`);
            throw new ProblemException(503, 'Temporal did not accept the run; nothing was started, try again shortly');
          });
        await em.query(`UPDATE run SET temporal_run_id = $2 WHERE id = $1`, [rows[0].id, handle.firstExecutionRunId]);
        return { ...rows[0], temporal_run_id: handle.firstExecutionRunId };
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw await this.alreadyRunning(taskId);
    }
  }

  /** The 409 of a task whose running run holds the one-running-run-per-task index. */
  async alreadyRunning(taskId: string): Promise<ProblemException> {
    const running: Array<{ id: string }> = await this.ds.query(`SELECT id FROM run WHERE task_id = $1 AND status = 'running' LIMIT 1`, [taskId]);
    return conflict(`a run of this task is already in progress${running[0] ? ` (run ${running[0].id})` : ''}`);
  }
}
