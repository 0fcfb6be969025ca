import Long from 'long';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ResetPoint } from '@app/temporal';

/** Activities that record how a run ended; they are bookkeeping, not steps to redo. */
const BOOKKEEPING = ['recordFailure', 'cancelRun'];

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;


/**
 * Where `resume` resets a failed or cancelled run to: the WorkflowTaskCompleted event that
 * scheduled the step that failed, timed out or was cancelled, so that step runs again with every
 * earlier step kept (resetting to the last workflow task would only replay the failure). A run
 * cancelled between steps (or while it waited for a removal decision) resumes from the last step
 * it had scheduled before the cancel request. An execution that was cancelled before it did
 * anything (it had just continued as new to wait for a decision) resumes from the last step of
 * the execution before it.
 */
export async function resetPointBeforeFailedActivity(client: Client, workflowId: string, runId: string): Promise<ResetPoint | undefined> {
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const point = pointIn(events);
  if (point) return { runId, ...point };
  const cancelled = events.some((e) => e.workflowExecutionCancelRequestedEventAttributes != null);
  const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  if (!cancelled || !previous) return undefined;
  const before = (await client.workflow.getHandle(workflowId, previous).fetchHistory()).events ?? [];
  const last = lastScheduledStep(before, before.length);
  return last ? { runId: previous, ...last } : undefined;
}

function scheduledStep(byId: Map<string, HistoryEvent>, scheduledId: unknown) {
  const attrs = byId.get(String(scheduledId))?.activityTaskScheduledEventAttributes;
  const activityType = attrs?.activityType?.name ?? '';
  if (BOOKKEEPING.includes(activityType) || attrs?.workflowTaskCompletedEventId == null) return undefined;
  return { eventId: Long.fromValue(attrs.workflowTaskCompletedEventId), activityType };
}

/** The last step (not bookkeeping) scheduled among the first `end` events. */
function lastScheduledStep(events: HistoryEvent[], end: number) {
  const byId = new Map(events.map((e) => [String(e.eventId), e] as const));
  for (let i = end - 1; i >= 0; i--) {
    const point = events[i].activityTaskScheduledEventAttributes ? scheduledStep(byId, events[i].eventId) : undefined;
    if (point) return point;
  }
  return undefined;
}

function pointIn(events: HistoryEvent[]) {
  const byId = new Map(events.map((e) => [String(e.eventId), e] as const));
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const scheduledId =
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (scheduledId == null) continue;
    const point = scheduledStep(byId, scheduledId);
    if (point) return point;
  }
  const cancelRequested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes != null);
  if (cancelRequested < 0) return undefined;
  const last = lastScheduledStep(events, cancelRequested);
  if (last) return last;
  // cancelled while waiting, with no step scheduled in this execution: redo it from its start
  const firstTask = events.slice(0, cancelRequested).find((e) => e.workflowTaskCompletedEventAttributes != null);
  return firstTask?.eventId != null ? { eventId: Long.fromValue(firstTask.eventId), activityType: 'the start of its last execution' } : undefined;
}

/**
 * The execution a run ended in: a run row records the execution it started in, and the run may
 * have continued as new since (long histories, or to wait for a removal decision).
 */
export async function lastExecutionOfRun(client: Client, namespace: string, workflowId: string, runId: string): Promise<string> {
  let current = runId;
  for (let hops = 0; hops < 1000; hops++) {
    const res = await client.workflowService.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId, runId: current },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      waitNewEvent: false,
    });
    const next = res.history?.events?.[0]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return current;
    current = next;
  }
  return current;
}
