import type { ActivityPort } from './activity-context';
import { keepHeartbeating } from './activity-context';

function fakeActivity(previous?: unknown): ActivityPort & { beats: unknown[] } {
  const beats: unknown[] = [];
  return {
    beats,
    heartbeat: (details) => beats.push(details),
    heartbeatDetails: <T>() => previous as T | undefined,
    throwIfCancelled: () => undefined,
    whileRunning: (work) => work(),
  };
}

describe('keepHeartbeating', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('beats on a timer while nothing else does, repeating the latest details instead of clearing them', () => {
    const activity = fakeActivity({ pages: 3 });
    const keeper = keepHeartbeating(activity, 1000);
    jest.advanceTimersByTime(2500);
    expect(activity.beats).toEqual([{ pages: 3 }, { pages: 3 }]);
    keeper.heartbeat({ pages: 4 });
    keeper.heartbeat();
    jest.advanceTimersByTime(1000);
    expect(activity.beats.slice(2)).toEqual([{ pages: 4 }, { pages: 4 }, { pages: 4 }]);
    keeper.stop();
    jest.advanceTimersByTime(5000);
    expect(activity.beats).toHaveLength(5);
  });
});
