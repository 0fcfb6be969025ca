import type { RunRepository } from '@app/persistence';
import { ProgressSignals } from './progress-signals';

const row = {
  id: 'r1', taskId: 't1', resumeRootId: null, status: 'running', mode: 'full', phase: 'extract', configSnapshot: null,
  stats: { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 }, loadTotal: null, loadWrittenBefore: null,
};
const runs = {
  rowOf: async (id: string) => id,
  find: async () => row,
  progressFacts: async () => ({ now: new Date(), reads: [], lastCompleteRead: null }),
} as unknown as RunRepository;

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('ProgressSignals', () => {
  it('sends at most one per interval, plus the ones asked for now', async () => {
    let clock = 0;
    const sent: unknown[] = [];
    const signals = new ProgressSignals({ runs, send: async (r) => void sent.push(r), everyMs: 10_000, clock: () => clock }, 'r1');
    signals.tick();
    await settle();
    signals.tick();
    clock = 9_999;
    signals.tick();
    await settle();
    expect(sent).toHaveLength(1);
    clock = 10_000;
    signals.tick();
    await settle();
    signals.now();
    await settle();
    expect(sent).toEqual([{ resources: [], load: null }, { resources: [], load: null }, { resources: [], load: null }]);
  });

  it('a report that cannot be sent is logged at debug; the caller never sees it', async () => {
    const debug = jest.fn();
    const signals = new ProgressSignals({ runs, send: () => Promise.reject(new Error('workflow not found')), logger: { debug } }, 'r1');
    expect(() => signals.now()).not.toThrow();
    await settle();
    expect(debug).toHaveBeenCalledWith('run progress signal not sent', { runId: 'r1', error: 'workflow not found' });
  });

  it('while one is on its way, the next waits for it instead of piling up', async () => {
    let release: () => void = () => undefined;
    let sends = 0;
    const signals = new ProgressSignals({ runs, send: () => { sends += 1; return new Promise<void>((r) => (release = r)); } }, 'r1');
    signals.now();
    await settle();
    signals.now();
    signals.now();
    await settle();
    expect(sends).toBe(1);
    release();
    await settle();
    expect(sends).toBe(2);
  });

  it('sends nothing outside a worker', () => {
    expect(() => new ProgressSignals({ runs }, 'r1').now()).not.toThrow();
  });
});
