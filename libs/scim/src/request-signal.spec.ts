import { requestSignal } from './request-signal';

describe('requestSignal', () => {
  it('fires with the cancel reason, and after dispose no longer listens to the cancel signal', () => {
    const cancel = new AbortController();
    const first = requestSignal(60_000, cancel.signal);
    first.dispose();
    const second = requestSignal(60_000, cancel.signal);
    const reason = new Error('cancelled');
    cancel.abort(reason);
    expect(first.signal.aborted).toBe(false);
    expect(second.signal.aborted).toBe(true);
    expect(second.signal.reason).toBe(reason);
    second.dispose();
  });

  it('fires on the timeout with a TimeoutError, and at once for an already cancelled signal', async () => {
    const timed = requestSignal(20, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 60));
    expect((timed.signal.reason as Error).name).toBe('TimeoutError');
    timed.dispose();
    const cancelled = new AbortController();
    cancelled.abort(new Error('gone'));
    expect((requestSignal(60_000, cancelled.signal).signal.reason as Error).message).toBe('gone');
  });
});
