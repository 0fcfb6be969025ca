/**
 * How a test starts an import run's workflow straight in Temporal, as the task's schedule does:
 * the options come from the run launcher (runWorkflowStartOptions: workflow type, queue, run
 * timeout, search attributes), so a test never runs a workflow the production code would not
 * start. No run row exists until the run's prepareRun activity writes it. The only start of an
 * import workflow in test/ (test/lint/layout.spec.ts checks it).
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { runWorkflowStartOptions, type ImportTaskInput, type RunProgress } from '@app/temporal';

/** The import workflow as the client sees it: one input, the run's progress as its result. */
type ImportWorkflow = (input: ImportTaskInput) => Promise<RunProgress>;

export interface ImportWorkflowStart {
  workflowId: string;
  taskQueue: string;
  /** the workflow's input; its taskId is the ImportTaskId search attribute */
  input: ImportTaskInput;
  /** the ImportTaskName search attribute (default: the task id; tests rarely know the generated name) */
  taskName?: string;
  /** replaces the launcher's run timeout, for a test of what outlives it; null starts without one */
  runTimeout?: Duration | null;
}

/** Starts the run's workflow and returns its handle (result() follows continue-as-new). */
export function startImportWorkflow(
  client: Client,
  start: ImportWorkflowStart,
): Promise<WorkflowHandleWithFirstExecutionRunId<ImportWorkflow>> {
  const { workflowType, workflowRunTimeout, ...options } = runWorkflowStartOptions(
    { taskId: start.input.taskId, taskName: start.taskName ?? start.input.taskId, workflowId: start.workflowId, input: start.input },
    start.taskQueue,
  );
  const runTimeout = start.runTimeout === undefined ? workflowRunTimeout : (start.runTimeout ?? undefined);
  return client.workflow.start<ImportWorkflow>(workflowType, {
    ...options,
    ...(runTimeout !== undefined && { workflowRunTimeout: runTimeout }),
  });
}

/** Starts the run's workflow and waits for its result, as client.workflow.execute does. */
export async function executeImportWorkflow(client: Client, start: ImportWorkflowStart): Promise<RunProgress> {
  return (await startImportWorkflow(client, start)).result();
}
