/** The signal of one request, and how to release what it holds once the request is over. */
export interface RequestSignal {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * A signal that fires after `timeoutMs` or when `cancel` fires (with that signal's reason, so a
 * Temporal CancelledFailure comes through as it is). Listeners are removed on dispose: one
 * long-lived cancel signal serves every request of an activity without collecting listeners.
 */
export function requestSignal(timeoutMs: number, cancel?: AbortSignal): RequestSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (!cancel) return { signal: timeout, dispose: () => undefined };
  const controller = new AbortController();
  const onCancel = () => controller.abort(cancel.reason);
  const onTimeout = () => controller.abort(timeout.reason);
  if (cancel.aborted) onCancel();
  else {
    cancel.addEventListener('abort', onCancel, { once: true });
    timeout.addEventListener('abort', onTimeout, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => {
      cancel.removeEventListener('abort', onCancel);
      timeout.removeEventListener('abort', onTimeout);
    },
  };
}
