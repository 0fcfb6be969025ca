import Long from 'long';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** Activities that record how a run ended; they are bookkeeping, not steps to redo. */
const BOOKKEEPING = ['recordFailure', 'cancelRun'];

/**
 * Where `resume` resets a failed or cancelled run to: the WorkflowTaskCompleted event that
 * scheduled the step that failed, timed out or was cancelled, so that step runs again with every
 * earlier step kept (resetting to the last workflow task would only replay the failure). A run
 * cancelled between steps (or while it waited for a removal decision) resumes from the last step
 * it had scheduled before the cancel request, or from the start of that execution when it had
 * scheduled none (an execution that continued as new only to wait for the decision).
 */
export async function resetPointBeforeFailedActivity(client: Client, workflowId: string, runId: string): Promise<{ eventId: Long; activityType: string } | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map<string, temporal.api.history.v1.IHistoryEvent>();
  for (const e of events) byId.set(String(e.eventId), e);
  const scheduledBy = (scheduledId: unknown) => {
    const attrs = byId.get(String(scheduledId))?.activityTaskScheduledEventAttributes;
    const activityType = attrs?.activityType?.name ?? '';
    if (BOOKKEEPING.includes(activityType) || attrs?.workflowTaskCompletedEventId == null) return undefined;
    return { eventId: Long.fromValue(attrs.workflowTaskCompletedEventId), activityType };
  };
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const scheduledId =
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (scheduledId == null) continue;
    const point = scheduledBy(scheduledId);
    if (point) return point;
  }
  const cancelRequested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes != null);
  if (cancelRequested < 0) return undefined;
  for (let i = cancelRequested - 1; i >= 0; i--) {
    const point = events[i].activityTaskScheduledEventAttributes ? scheduledBy(events[i].eventId) : undefined;
    if (point) return point;
  }
  const firstTask = events.find((e) => e.workflowTaskCompletedEventAttributes != null && Number(e.eventId) < Number(events[cancelRequested].eventId));
  return firstTask?.eventId != null ? { eventId: Long.fromValue(firstTask.eventId), activityType: 'the start of its last execution' } : undefined;
}
