import type { BucketClock } from './token-bucket';
import { TokenBucket } from './token-bucket';

/** A clock that only moves when someone sleeps, so the test measures the bucket, not the machine. */
function fakeClock(): BucketClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of one second through, then spaces requests at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5, clock);
    for (let i = 0; i < 5; i++) await bucket.acquire();
    expect(clock.slept).toEqual([]);
    await bucket.acquire();
    await bucket.acquire();
    expect(clock.slept).toEqual([200, 200]);
  });

  it('serves concurrent callers one at a time at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(2, clock);
    await Promise.all(Array.from({ length: 6 }, () => bucket.acquire()));
    // 2 free, then 4 more at 500 ms each.
    expect(clock.now()).toBe(2000);
  });

  it('handles rates below one per second', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(0.5, clock);
    await bucket.acquire();
    await bucket.acquire();
    expect(clock.now()).toBe(2000);
  });
});
