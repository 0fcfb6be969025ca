import { CancelledFailure, Context } from '@temporalio/activity';
import { heartbeating } from './heartbeat-keeper';

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
  /**
   * Heartbeats (with the last details sent) until `work` settles: a single long SQL statement
   * then never looks like a dead worker. `onCancel` runs once if the activity is cancelled
   * meanwhile (a heartbeat timeout or a cancelled run), to stop that statement.
   */
  whileRunning<T>(work: () => Promise<T>, onCancel: () => void): Promise<T>;
  /** fires (with a CancelledFailure as reason) when the workflow asks this activity to stop */
  signal?: AbortSignal;
}

/** How often a running statement heartbeats; the SDK throttles what actually goes out. */
const KEEP_ALIVE_MS = 1000;

const OUTSIDE_ACTIVITY: ActivityPort = {
  heartbeat: () => undefined,
  heartbeatDetails: () => undefined,
  throwIfCancelled: () => undefined,
  whileRunning: (work) => work(),
};

/** The current activity's context, or a no-op port when called outside an activity. */
export function currentActivity(): ActivityPort {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return OUTSIDE_ACTIVITY;
  }
  return heartbeating(
    {
      heartbeat: (details) => ctx.heartbeat(details),
      heartbeatDetails: <T>() => ctx.info.heartbeatDetails as T | undefined,
      throwIfCancelled: () => {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled');
      },
      signal: ctx.cancellationSignal,
    },
    KEEP_ALIVE_MS,
  );
}

/** Gives the event loop a turn so heartbeats and cancellation get through between CPU-bound chunks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
