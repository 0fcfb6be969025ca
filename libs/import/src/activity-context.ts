import { CancelledFailure, Context } from '@temporalio/activity';

/**
 * The bits of the Temporal activity context the use cases need, with harmless fallbacks so the
 * same code runs outside a worker (benchmarks, direct calls in tests).
 */
export interface ActivityPort {
  heartbeat(details?: unknown): void;
  /** details of the last heartbeat of a previous attempt of this same activity */
  heartbeatDetails<T>(): T | undefined;
  /** throws CancelledFailure once the workflow asked this activity to stop (needs heartbeats) */
  throwIfCancelled(): void;
  /** fires (with a CancelledFailure as reason) when the workflow asks this activity to stop */
  signal?: AbortSignal;
}

const OUTSIDE_ACTIVITY: ActivityPort = {
  heartbeat: () => undefined,
  heartbeatDetails: () => undefined,
  throwIfCancelled: () => undefined,
};

/** The current activity's context, or a no-op port when called outside an activity. */
export function currentActivity(): ActivityPort {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return OUTSIDE_ACTIVITY;
  }
  return {
    heartbeat: (details) => ctx.heartbeat(details),
    heartbeatDetails: <T>() => ctx.info.heartbeatDetails as T | undefined,
    throwIfCancelled: () => {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled');
    },
    signal: ctx.cancellationSignal,
  };
}

/** Gives the event loop a turn so heartbeats and cancellation get through between CPU-bound chunks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
