import type { ActivityPort } from './activity-context';

/** How often the timer beats; the SDK throttles what reaches the server, so this only needs to be well under the timeout. */
const HEARTBEAT_EVERY_MS = 5_000;

/** An activity port that also heartbeats on its own timer until stopped. */
export interface HeartbeatKeeper extends ActivityPort {
  stop(): void;
}

/**
 * Heartbeats every few seconds while an activity waits (for a slow page, say), repeating the last
 * details so the timer never overwrites a position with nothing. A worker that dies stops the
 * timer too, so the heartbeat timeout still notices it; cancellation arrives through these beats.
 */
export function keepHeartbeating(activity: ActivityPort, everyMs = HEARTBEAT_EVERY_MS): HeartbeatKeeper {
  // until this attempt has a position of its own, repeat the previous attempt's
  let last: unknown = activity.heartbeatDetails();
  const beat = (details?: unknown) => {
    if (details !== undefined) last = details;
    activity.heartbeat(last);
  };
  const timer = setInterval(() => beat(), everyMs);
  timer.unref();
  return {
    heartbeat: beat,
    heartbeatDetails: <T>() => activity.heartbeatDetails<T>(),
    throwIfCancelled: () => activity.throwIfCancelled(),
    whileRunning: (work, onCancel) => activity.whileRunning(work, onCancel),
    signal: activity.signal,
    stop: () => clearInterval(timer),
  };
}
