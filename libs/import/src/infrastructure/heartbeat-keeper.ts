import { CancelledFailure } from '@temporalio/activity';
import type { ActivityPort } from './activity-context';

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
