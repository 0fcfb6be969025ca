import { EMPTY_STATS, type RunRow } from '@app/persistence';
import { closingEventOf, runEventPayload, runIsAt } from './run-event-payload';

function run(overrides: Partial<RunRow> = {}): RunRow {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    taskId: '22222222-2222-4222-8222-222222222222',
    workflowId: 'import-task-x',
    temporalRunId: 't',
    mode: 'full',
    trigger: 'manual',
    status: 'succeeded',
    phase: 'done',
    startedAt: new Date('2026-12-01T10:00:00Z'),
    finishedAt: new Date('2026-12-01T10:05:00Z'),
    stats: { ...EMPTY_STATS, fetched: 10, created: 4 },
    error: null,
    retryOf: null,
    resumeRootId: null,
    configSnapshot: { connector: { baseUrl: 'https://scim.example.com', authPublic: { username: 'svc' } } },
    extractReports: [{ path: '/Users' }],
    removal: null,
    notes: ['a note that may quote a record'],
    dryRun: false,
    stagingRedos: 0,
    stagingReleasedAt: null,
    seenSetAt: null,
    phaseLog: [],
    loadTotal: null,
    loadWrittenBefore: null,
    ...overrides,
  };
}

describe('run event payloads', () => {
  it('carry ids, status and counts, never the snapshot, notes or an error message', () => {
    const failed = run({ status: 'failed', error: { type: 'ScimAuthError', message: 'password s3cret refused for jane@example.com' } });
    const p = runEventPayload('run.failed', failed, 'HR import', new Date('2026-12-01T11:00:00Z'));
    expect(p).toEqual({
      type: 'run.failed',
      timestamp: '2026-12-01T10:05:00.000Z',
      data: {
        runId: failed.id,
        taskId: failed.taskId,
        taskName: 'HR import',
        status: 'failed',
        mode: 'full',
        trigger: 'manual',
        dryRun: false,
        retryOf: null,
        startedAt: '2026-12-01T10:00:00.000Z',
        finishedAt: '2026-12-01T10:05:00.000Z',
        stats: { fetched: 10, created: 4, updated: 0, unchanged: 0, removed: 0, failed: 0 },
        error: { type: 'ScimAuthError' },
      },
    });
    const text = JSON.stringify(p);
    for (const leak of ['s3cret', 'jane@example.com', 'scim.example.com', 'svc', 'a note']) expect(text).not.toContain(leak);
  });

  it('removal states carry counts and the decision deadline only', () => {
    const waiting = run({
      status: 'running',
      finishedAt: null,
      removal: { state: 'awaitingApproval', total: 9, candidates: { identity: 9, access: 0, generic: 0 }, decisionDeadline: '2026-12-04T10:00:00Z', reason: 'jane, joe: waiting', threshold: { active: {} } },
    });
    const p = runEventPayload('run.awaitingRemovalApproval', waiting, null, new Date('2026-12-01T10:03:00Z'));
    expect(p.timestamp).toBe('2026-12-01T10:03:00.000Z');
    expect(p.data.removal).toEqual({ state: 'awaitingApproval', total: 9, candidates: { identity: 9, access: 0, generic: 0 }, decisionDeadline: '2026-12-04T10:00:00Z' });
    expect(JSON.stringify(p)).not.toContain('jane');
  });

  it('an event is emitted only while the run is in the state it announces', () => {
    expect(runIsAt('run.started', run({ status: 'running' }))).toBe(true);
    expect(runIsAt('run.started', run({ status: 'succeeded' }))).toBe(false);
    expect(runIsAt('run.succeeded', run())).toBe(true);
    for (const status of ['failed', 'terminated', 'timedOut'] as const) expect(runIsAt('run.failed', run({ status }))).toBe(true);
    expect(runIsAt('run.failed', run({ status: 'cancelled' }))).toBe(false);
    expect(runIsAt('run.cancelled', run({ status: 'cancelled' }))).toBe(true);
    expect(runIsAt('run.awaitingRemovalApproval', run({ removal: { state: 'awaitingApproval' } }))).toBe(true);
    expect(runIsAt('run.removalsApplied', run({ removal: { state: 'awaitingApproval' } }))).toBe(false);
    expect(runIsAt('run.removalsApplied', run({ removal: { state: 'applied' } }))).toBe(true);
  });

  it('closed statuses map to their closing event', () => {
    expect(closingEventOf('succeeded')).toBe('run.succeeded');
    expect(closingEventOf('cancelled')).toBe('run.cancelled');
    expect(closingEventOf('terminated')).toBe('run.failed');
    expect(closingEventOf('timedOut')).toBe('run.failed');
    expect(closingEventOf('running')).toBeUndefined();
  });
});
