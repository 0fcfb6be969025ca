import Long from 'long';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/**
 * The WorkflowTaskCompleted event id that scheduled the activity whose failure ended the run.
 * Resetting to it re-runs that activity with every earlier step kept (resetting to the last
 * workflow task would only replay the failure). recordFailure/cancelRun are bookkeeping, not steps.
 */
export async function resetPointBeforeFailedActivity(client: Client, workflowId: string, runId: string): Promise<{ eventId: Long; activityType: string } | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map<string, temporal.api.history.v1.IHistoryEvent>();
  for (const e of events) byId.set(String(e.eventId), e);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const scheduledId = e.activityTaskFailedEventAttributes?.scheduledEventId ?? e.activityTaskTimedOutEventAttributes?.scheduledEventId;
    if (scheduledId == null) continue;
    const scheduled = byId.get(String(scheduledId));
    const attrs = scheduled?.activityTaskScheduledEventAttributes;
    const activityType = attrs?.activityType?.name ?? '';
    if (['recordFailure', 'cancelRun'].includes(activityType)) continue;
    if (attrs?.workflowTaskCompletedEventId != null) {
      return { eventId: Long.fromValue(attrs.workflowTaskCompletedEventId), activityType };
    }
  }
  return undefined;
}
