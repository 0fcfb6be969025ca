import { Logger } from '@nestjs/common';
import type { ImportTaskRow, RunRow } from '@app/persistence';
import { TasksService } from './tasks.service';

const NOW = Date.now();
const task = (id: string, over: Partial<ImportTaskRow> = {}): ImportTaskRow => ({
  id, name: id, connectorId: 'c', usage: 'read', type: 'full', mappingsType: 'identityOnly', schedule: { everyMinutes: 60 }, enabled: true,
  config: {}, configVersion: 1, watermark: null, createdAt: new Date(NOW), updatedAt: new Date(NOW), ...over,
});
const run = { id: 'r1', taskId: 'a', status: 'succeeded', mode: 'full', trigger: 'manual', dryRun: false, startedAt: new Date(NOW - 60_000), finishedAt: new Date(NOW - 1_000),
  stats: { fetched: 1, created: 1, updated: 0, unchanged: 0, removed: 0, failed: 0 } } as RunRow;

/** TasksService.list on stand-ins: one statement for the last runs, one schedule listing for the next times. */
function service(nextRunTimesOfAll: () => Promise<Map<string, Date[]>>) {
  const rows = [task('a'), task('b', { enabled: false }), task('c', { schedule: null }), task('d')];
  const calls = { newest: 0, listing: 0 };
  const deps = {
    tasks: { list: async () => rows },
    runs: { newestOfTasks: async (ids: string[]) => (calls.newest++, new Map(ids.includes('a') ? [['a', run]] : [])) },
    schedules: { nextRunTimesOfAll: () => (calls.listing++, nextRunTimesOfAll()) },
    advice: { adviseAll: async () => new Map() },
  };
  const s = new TasksService(null as never, deps.tasks as never, null as never, null as never, null as never, deps.runs as never, deps.schedules as never, {} as never, deps.advice as never, null as never, null as never);
  return { s, calls };
}

describe('the task list', () => {
  it('carries each task its newest run and next schedule time, from one query and one listing', async () => {
    const past = new Date(NOW - 1_000);
    const next = new Date(NOW + 3_600_000);
    const { s, calls } = service(async () => new Map([['a', [past, next]], ['b', [next]], ['c', [next]], ['d', []]]));
    const { items } = await s.list();
    expect(calls).toEqual({ newest: 1, listing: 1 });
    expect(items.map((t) => [t.id, t.nextRunAt])).toEqual([['a', next.toISOString()], ['b', null], ['c', null], ['d', null]]);
    expect(items[0].lastRun).toEqual({ id: 'r1', status: 'succeeded', mode: 'full', trigger: 'manual', dryRun: false, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt!.toISOString(), stats: run.stats });
    expect(items.slice(1).map((t) => t.lastRun)).toEqual([null, null, null]);
  });

  it('is answered without next times, and a warning, when Temporal does not answer', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { s } = service(async () => Promise.reject(new Error('14 UNAVAILABLE: connect ECONNREFUSED')));
      const { items } = await s.list();
      expect(items.map((t) => t.nextRunAt)).toEqual([null, null, null, null]);
      expect(items[0].lastRun?.id).toBe('r1');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
    } finally {
      warn.mockRestore();
    }
  });
});
