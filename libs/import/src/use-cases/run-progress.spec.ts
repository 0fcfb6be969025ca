import type { ResourceReadProgress, RunProgressFacts } from '@app/persistence';
import { etaSeconds, expectedOf, readRate, runProgress, type RunForProgress } from './run-progress';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const snapshot = { mappingsType: 'identityAndAccess', config: { identity: {}, access: {} }, since: null };

function run(over: Partial<RunForProgress> = {}): RunForProgress {
  return {
    id: 'r1', taskId: 't1', resumeRootId: null, status: 'running', mode: 'full', phase: 'extract', configSnapshot: snapshot,
    stats: { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 }, loadTotal: null, loadWrittenBefore: null, ...over,
  };
}

function read(over: Partial<ResourceReadProgress> = {}): ResourceReadProgress {
  return { resource: 'identity', path: '/Users', fetched: 0, done: false, fullRead: true, startedAt: T0, updatedAt: T0, totalResults: null, ...over };
}

function facts(reads: ResourceReadProgress[], over: Partial<RunProgressFacts> = {}): RunProgressFacts {
  return { now: at(10), reads, lastCompleteRead: null, ...over };
}

describe('run progress math', () => {
  it('rate: records per second since the read began; null before anything was read', () => {
    expect(readRate(500, T0, at(10))).toBe(50);
    expect(readRate(0, T0, at(10))).toBeNull();
    expect(readRate(10, null, at(10))).toBeNull();
    expect(readRate(10, T0, T0)).toBeNull();
  });

  it('estimate: what is left at the rate, rounded up; 0 when done; null when unknown or passed', () => {
    expect(etaSeconds(500, 1000, 50, false)).toBe(10);
    expect(etaSeconds(500, 1001, 50, false)).toBe(11);
    expect(etaSeconds(1000, 1000, 50, true)).toBe(0);
    expect(etaSeconds(1200, 1000, 50, false)).toBeNull();
    expect(etaSeconds(500, null, 50, false)).toBeNull();
    expect(etaSeconds(500, 1000, null, false)).toBeNull();
  });

  it("expected: the listing's totalResults first, else a full read's last complete read, else unknown", () => {
    expect(expectedOf({ totalResults: 900, fullRead: true }, 800)).toEqual({ expected: 900, expectedFrom: 'totalResults' });
    expect(expectedOf({ totalResults: 12, fullRead: false }, 800)).toEqual({ expected: 12, expectedFrom: 'totalResults' });
    expect(expectedOf({ totalResults: null, fullRead: true }, 800)).toEqual({ expected: 800, expectedFrom: 'lastRun' });
    // an incremental read lists changes: the size of the whole set says nothing about them
    expect(expectedOf({ totalResults: null, fullRead: false }, 800)).toEqual({ expected: null, expectedFrom: null });
    expect(expectedOf({ totalResults: null, fullRead: true }, undefined)).toEqual({ expected: null, expectedFrom: null });
  });
});

describe('runProgress', () => {
  it('shows every resource the task maps, in read order, those not begun with nothing read', () => {
    const p = runProgress(run(), facts([read({ fetched: 300, totalResults: 1000 })], { lastCompleteRead: { identity: 950, access: 40 } }));
    expect(p).toEqual({
      resources: [
        { resource: 'identity', path: '/Users', read: 300, expected: 1000, expectedFrom: 'totalResults', perSecond: 30, etaSeconds: 24, done: false },
        { resource: 'access', path: '/Groups', read: 0, expected: 40, expectedFrom: 'lastRun', perSecond: null, etaSeconds: null, done: false },
      ],
      load: null,
    });
  });

  it('a done read: its rate until it ended, no time left', () => {
    const p = runProgress(run(), facts([read({ fetched: 400, done: true, updatedAt: at(4), totalResults: 400 })]));
    expect(p?.resources[0]).toMatchObject({ read: 400, perSecond: 100, etaSeconds: 0, done: true });
  });

  it('an incremental run expects no last-run size for a read not begun', () => {
    const p = runProgress(run({ mode: 'incremental', configSnapshot: { ...snapshot, since: T0.toISOString() } }), facts([], { lastCompleteRead: { identity: 950 } }));
    expect(p?.resources[0]).toMatchObject({ read: 0, expected: null, expectedFrom: null });
  });

  it('load: null before diff said what to write and before the load step; then written of total since diff', () => {
    const stats = { fetched: 100, created: 30, updated: 20, unchanged: 0, removed: 0, failed: 0 };
    expect(runProgress(run({ phase: 'diff', loadTotal: 80, loadWrittenBefore: 0, stats }), facts([]))?.load).toBeNull();
    expect(runProgress(run({ phase: 'load', stats }), facts([]))?.load).toBeNull();
    expect(runProgress(run({ phase: 'load', loadTotal: 80, loadWrittenBefore: 10, stats }), facts([]))?.load).toEqual({ written: 40, total: 80 });
    expect(runProgress(run({ phase: 'finish', loadTotal: 40, loadWrittenBefore: 0, stats }), facts([]))?.load).toEqual({ written: 40, total: 40 });
  });

  it('null once the run has ended', () => {
    expect(runProgress(run({ status: 'succeeded' }), facts([]))).toBeNull();
  });

  it('a run not prepared yet shows what has begun only', () => {
    expect(runProgress(run({ configSnapshot: null }), facts([]))).toEqual({ resources: [], load: null });
  });
});
