/**
 * List pages are parsed, mapped and hashed on worker threads (libs/import/src/extract/page-threads.ts).
 * A thread that dies mid-page loses nothing: its page is digested again on the event loop, and
 * the run ends with exactly the datacards and links of a run no thread died in; a run after it
 * finds every record unchanged (the hashes are the same whichever thread made them).
 */
import { randomUUID } from 'node:crypto';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { closePageThreads, pageThreads } from '../../libs/import/src/extract/page-threads';
import { useStack } from '../support/e2e-stack';
import { uniq } from '../support/fixtures';
import { runApi, type TargetCodes } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const THREADS = 2;

const { api } = useStack({ taskQueue: uniq('e2e-page-threads'), api: true, worker: { tuning: { pageThreads: THREADS } } });
const rest = runApi(api);
let scim: ScimDemoServer;
beforeAll(async () => {
  scim = await startScimDemoServer({ auth: { basic: { username: USER, password: PASSWORD } }, seed: { users: 150, groups: 12, membersPerUser: 2 } });
});
afterAll(async () => {
  await scim?.close();
  await closePageThreads();
});

async function importTask(prefix: string): Promise<{ taskId: string; codes: TargetCodes }> {
  const codes = await rest.targetStore(prefix);
  const connector = await rest.post('/api/v1/connectors', { name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, pageSize: 20 });
  expect(connector.status).toBe(201);
  return { taskId: await rest.task(connector.body.id as string, codes), codes };
}

describe('page threads', () => {
  it('a thread killed mid-page leaves the same datacards and links as a run without', async () => {
    // the worker of this stack runs in this process: its page threads are this pool
    const threads = pageThreads(THREADS);
    expect(threads?.size).toBe(THREADS);

    const whole = await importTask('calm');
    const calm = await rest.runToEnd(whole.taskId);
    expect(calm).toMatchObject({ status: 'succeeded', stats: { failed: 0 } });
    const answered = threads!.stats.answered;
    // users (8 pages of 20), groups and the listings' checks went through the threads
    expect(answered).toBeGreaterThanOrEqual(9);
    expect(threads!.stats.died).toBe(0);

    // two pages in three: the thread is ended right after the page was posted to it (before it
    // listed the page), or a moment later (usually while it maps and hashes it)
    let dispatched = 0;
    threads!.onDispatch = (thread) => {
      dispatched += 1;
      if (dispatched % 3 === 0) void thread.terminate();
      if (dispatched % 3 === 1) setTimeout(() => void thread.terminate(), 3);
    };
    try {
      const killed = await importTask('killed');
      const run = await rest.runToEnd(killed.taskId);
      expect(run).toMatchObject({ status: 'succeeded', stats: { failed: 0 } });
      expect(threads!.stats.died).toBeGreaterThanOrEqual(4);
      expect(run.stats).toEqual(calm.stats);
      const expected = await rest.target(whole.codes);
      expect(Object.keys(expected).length).toBe(150 + 12);
      expect(await rest.target(killed.codes)).toEqual(expected);

      // the hashes staged by the threads and by the event loop are the same: nothing changed
      await rest.settled(killed.taskId);
      const again = await rest.runToEnd(killed.taskId);
      expect(again).toMatchObject({ status: 'succeeded', stats: { created: 0, updated: 0, unchanged: 150 + 12, failed: 0 } });
    } finally {
      threads!.onDispatch = undefined;
    }
  });
});
