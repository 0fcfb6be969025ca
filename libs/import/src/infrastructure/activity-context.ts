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
  /**
   * Heartbeats (with the last details sent) until `work` settles: a single long SQL statement
   * then never looks like a dead worker. `onCancel` runs once if the activity is cancelled
   * meanwhile (a heartbeat timeout or a cancelled run), to stop that statement.
   */
  whileRunning<T>(work: () => Promise<T>, onCancel: () => void): Promise<T>;
  /** fires (with a CancelledFailure as reason) when the workflow asks this activity to stop */
  signal?: AbortSignal;
}

/** How often extract's timer beats; the SDK throttles what reaches the server, so this only needs to be well under the timeout. */
const HEARTBEAT_EVERY_MS = 5_000;

/** An activity port that heartbeats on a timer while something runs. */
export interface HeartbeatingPort extends ActivityPort {
  /** beats on the timer from now until the returned function is called */
  keepAlive(): () => void;
}

/** An activity port that heartbeats on its own timer until stopped. */
export interface HeartbeatKeeper extends ActivityPort {
  stop(): void;
}

/**
 * The one way the import keeps an activity heartbeating while work runs. Every beat without
 * details of its own repeats the latest ones (until this attempt has a position of its own, the
 * previous attempt's), so a keep-alive beat never overwrites a resume position with nothing. The
 * timer beats every `everyMs` while something runs: `whileRunning(work, onCancel)` for one
 * statement (a cancellation meanwhile runs `onCancel` once, to stop it, and the statement's
 * failure is then reported as the cancellation), `keepAlive()` until stopped. A worker that dies
 * stops the timer too, so the heartbeat timeout still notices it; cancellation arrives through
 * the beats.
 */
export function heartbeating(activity: Omit<ActivityPort, 'whileRunning'>, everyMs: number): HeartbeatingPort {
  let last: unknown = activity.heartbeatDetails();
  const heartbeat = (details?: unknown) => {
    if (details !== undefined) last = details;
    activity.heartbeat(last);
  };
  const keepAlive = () => {
    const timer = setInterval(() => heartbeat(), everyMs);
    timer.unref();
    return () => clearInterval(timer);
  };
  return {
    heartbeat,
    heartbeatDetails: <T>() => activity.heartbeatDetails<T>(),
    throwIfCancelled: () => activity.throwIfCancelled(),
    signal: activity.signal,
    keepAlive,
    whileRunning: async (work, onCancel) => {
      const signal = activity.signal;
      const cancel = () => onCancel();
      signal?.addEventListener('abort', cancel, { once: true });
      const stop = keepAlive();
      heartbeat();
      try {
        return await work();
      } catch (err) {
        // the statement failed because it was cancelled: say so, so the failure is a cancellation
        if (signal?.aborted) throw new CancelledFailure('activity cancelled');
        throw err;
      } finally {
        stop();
        signal?.removeEventListener('abort', cancel);
      }
    },
  };
}

/**
 * Heartbeats every few seconds from now until stopped (see heartbeating), for an activity that
 * waits longer than the heartbeat timeout between beats of its own (extract, for a slow page).
 * Its statements keep heartbeating through `activity`.
 */
export function keepHeartbeating(activity: ActivityPort, everyMs = HEARTBEAT_EVERY_MS): HeartbeatKeeper {
  const port = heartbeating(activity, everyMs);
  const stop = port.keepAlive();
  return {
    heartbeat: port.heartbeat,
    heartbeatDetails: port.heartbeatDetails,
    throwIfCancelled: port.throwIfCancelled,
    signal: port.signal,
    whileRunning: (work, onCancel) => activity.whileRunning(work, onCancel),
    stop,
  };
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
