import { pageThreadsFor } from './tuning';

describe('pageThreadsFor', () => {
  it('leaves one core to the event loop, and takes at least one thread', () => {
    expect(pageThreadsFor({}, 8)).toBe(7);
    expect(pageThreadsFor({}, 2)).toBe(1);
    expect(pageThreadsFor({}, 1)).toBe(1);
  });

  it('takes WORKER_PAGE_THREADS when it is a whole number (0: pages are digested on the event loop)', () => {
    expect(pageThreadsFor({ WORKER_PAGE_THREADS: '0' }, 8)).toBe(0);
    expect(pageThreadsFor({ WORKER_PAGE_THREADS: ' 3 ' }, 8)).toBe(3);
    expect(pageThreadsFor({ WORKER_PAGE_THREADS: 'many' }, 8)).toBe(7);
    expect(pageThreadsFor({ WORKER_PAGE_THREADS: '-1' }, 8)).toBe(7);
  });
});
