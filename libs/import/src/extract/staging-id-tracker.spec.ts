import type { StagingRepository } from '@app/persistence';
import { StagingIdTracker } from './staging-id-tracker';

/** Staging as the tracker sees it: the ids committed so far, and a query that can be held open. */
function stagingWithSlowQuery() {
  const committed = new Set<string>();
  let release: () => void = () => undefined;
  const staging = {
    existingIds: async (_run: string, _resource: string, ids: string[]) => {
      const snapshot = new Set(ids.filter((id) => committed.has(id)));
      await new Promise<void>((r) => (release = r));
      return snapshot;
    },
  } as unknown as StagingRepository;
  return { staging, committed, release: () => release() };
}

describe('StagingIdTracker', () => {
  it('knows the ids of a page that commits while a later page is being checked', async () => {
    const db = stagingWithSlowQuery();
    const tracker = new StagingIdTracker(db.staging, 'run', 'identity', 0);

    const first = tracker.addNew(['a', 'b']);
    db.release();
    expect(await first).toEqual(['a', 'b']);

    // the read-ahead checks the next page (which repeats "b") while page one is still being written
    const second = tracker.addNew(['b', 'c']);
    db.committed.add('a').add('b');
    tracker.committed(['a', 'b'], 2);
    db.release();
    expect(await second).toEqual(['c']);
    expect(await tracker.size()).toBe(3);
  });

  it('releases only the committed page: the next page read ahead stays pending', async () => {
    const db = stagingWithSlowQuery();
    const tracker = new StagingIdTracker(db.staging, 'run', 'identity', 0);
    const first = tracker.addNew(['a']);
    db.release();
    await first;
    const second = tracker.addNew(['b']);
    db.release();
    await second;
    db.committed.add('a');
    tracker.committed(['a'], 1);
    const third = tracker.addNew(['b', 'd']);
    db.release();
    expect(await third).toEqual(['d']);
  });
});
