import { NAMED_RECORDS_LIMIT, namedRecords, storyLine } from './run-story';

const stats = { fetched: 330, created: 300, updated: 20, unchanged: 10, removed: 2, failed: 0 };

describe('storyLine', () => {
  it('tells the start of a run with its mode, trigger and what it reads', () => {
    const line = storyLine('prepareRun', [{ taskId: 't', trigger: 'manual' }], { runId: 'r1', taskId: 't', mode: 'full', resources: [{ kind: 'identity', path: '/Users' }, { kind: 'access', path: '/Groups' }], reconcile: true }, 12);
    expect(line?.message).toBe('run r1 started: full, manual, reading /Users, /Groups');
    expect(line?.fields).toEqual({ mode: 'full', trigger: 'manual', dryRun: false, resources: ['/Users', '/Groups'] });
    // a scheduled run's input names no trigger
    expect(storyLine('prepareRun', [{ taskId: 't' }], { runId: 'r2', taskId: 't', mode: 'incremental', resources: [], reconcile: false, dryRun: true }, 1)?.message).toBe(
      'run r2 started: incremental dry run, schedule, reading ',
    );
  });

  it('tells each step with its counts and duration', () => {
    expect(storyLine('extract', ['r'], { resource: 'identity', fetched: 300, pages: 2, complete: true, fullReadFallback: false, stats }, 1234)?.message).toBe(
      'extract identity done in 1.2 s: 300 records in 2 pages, complete',
    );
    expect(storyLine('diff', ['r'], { create: 5, update: 1, unchanged: 7, failed: 0, stats }, 20_400)).toEqual({
      message: 'diff done in 20 s: 5 to create, 1 to update, 7 unchanged, 0 failed',
      fields: { durationMs: 20_400, create: 5, update: 1, unchanged: 7, failed: 0 },
    });
    expect(storyLine('load', ['r'], { batches: 3, created: 300, updated: 20, unchanged: 0, stats }, 900)?.message).toBe('load done in 0.9 s: 300 created, 20 updated in 3 batches');
    expect(storyLine('reconcileRemovals', ['r', {}], { state: 'awaitingApproval', next: 'awaitDecision', skipped: false, candidates: 40 }, 50)?.message).toBe(
      'removal check done in 0.1 s: 40 candidates, awaitingApproval, next awaitDecision',
    );
    expect(storyLine('applyRemovals', ['r', 'approved'], { state: 'applied', removed: 40, stats }, 70)?.message).toBe('removals applied (approved): 40 marked removed');
    expect(storyLine('finishRun', ['r'], { status: 'succeeded', stats }, 5)?.message).toBe('run succeeded: read 330, created 300, updated 20, unchanged 10, removed 2, failed 0');
  });

  it('says nothing for a map chunk that will go on, or for an activity it does not know', () => {
    expect(storyLine('map', ['r'], { done: false, mapped: 1000, failed: 0, stats }, 5)).toBeUndefined();
    expect(storyLine('map', ['r'], { done: true, mapped: 3, failed: 1, stats }, 5)?.message).toBe('map done in 0.0 s: 3 mapped, 1 failed');
    expect(storyLine('somethingElse', [], {}, 5)).toBeUndefined();
  });
});

describe('namedRecords', () => {
  it('names at most the limit and counts the rest', () => {
    expect(namedRecords('marked removed', ['a', 'b'], 2)).toBe('marked removed: a, b');
    const many = Array.from({ length: NAMED_RECORDS_LIMIT + 5 }, (_, i) => `u${i}`);
    expect(namedRecords('marked removed', many, 100)).toBe(`marked removed: ${many.slice(0, NAMED_RECORDS_LIMIT).join(', ')} and ${100 - NAMED_RECORDS_LIMIT} more`);
  });
});
