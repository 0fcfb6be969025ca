import { defineSearchAttributeKey, SearchAttributeType, type Duration } from '@temporalio/common';

/** Workflow type name of an import run (the exported function name in workflows/). */
export const IMPORT_TASK_WORKFLOW = 'importTask';

/** Search attributes registered on every dev server and production namespace. */
export const IMPORT_TASK_ID = defineSearchAttributeKey('ImportTaskId', SearchAttributeType.KEYWORD);
export const IMPORT_TASK_NAME = defineSearchAttributeKey('ImportTaskName', SearchAttributeType.KEYWORD);

/** Schedule id of a task: deterministic so reconciliation can find it again. */
export function scheduleIdForTask(taskId: string): string {
  return `import-task-${taskId}`;
}

/** Task id from a schedule id, or undefined when the schedule is not one of ours. */
export function taskIdFromScheduleId(scheduleId: string): string | undefined {
  const m = /^import-task-([0-9a-f-]{36})$/.exec(scheduleId);
  return m ? m[1] : undefined;
}

/** Workflow id prefix of a task's runs (schedules append a timestamp). */
export function workflowIdPrefixForTask(taskId: string): string {
  return `import-task-${taskId}`;
}

/**
 * A run may not hang forever: SKIP overlap would then block every later run.
 * 12 hours covers a million-record full import many times over. It bounds an execution doing
 * work; a run waiting for a removal decision continues as new with the rest of its decision
 * window added, so the 72-hour window is never cut (workflows/import-task.workflow.ts).
 */
export const WORKFLOW_RUN_TIMEOUT: Duration = '12h';

/** Link to a workflow (and, when known, one run of it) in the Temporal UI. */
export function temporalUiLink(uiBaseUrl: string, namespace: string, workflowId: string, runId?: string | null): string {
  const base = `${uiBaseUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/** Missed schedule actions within this window still run after an outage; older ones are dropped. */
export const SCHEDULE_CATCHUP_WINDOW = '10m';

/** Workflow type name of one webhook delivery (workflows/deliver-webhook.workflow.ts). */
export const DELIVER_WEBHOOK_WORKFLOW = 'deliverWebhookWorkflow';

/** Workflow id of a webhook delivery: one per delivery row, so a repeated start never delivers twice. */
export function webhookDeliveryWorkflowId(deliveryId: string): string {
  return `webhook-${deliveryId}`;
}
