import { referenceIntervalMinutes, scheduleAdvice, scheduleIntervalMinutes, scheduleStarts, type ScheduleAdviceInput } from './schedule-advice';

const now = new Date('2026-03-02T10:07:00Z'); // a Monday

function input(overrides: Omit<Partial<ScheduleAdviceInput>, 'task'> & { task?: Partial<ScheduleAdviceInput['task']> } = {}): ScheduleAdviceInput {
  const { task, ...rest } = overrides;
  return {
    task: { id: 't1', type: 'full', schedule: { everyMinutes: 30 }, enabled: true, ...task },
    size: { users: 400, groups: 800, generic: 0, measuredBy: 'measured by the last run' },
    recentRunDurationsMs: [],
    others: [],
    now,
    ...rest,
  };
}

const warnings = (advice: ReturnType<typeof scheduleAdvice>) => advice.filter((a) => a.level === 'warning').map((a) => a.message);

describe('scheduleIntervalMinutes', () => {
  it('is everyMinutes for interval schedules and null for manual ones', () => {
    expect(scheduleIntervalMinutes({ everyMinutes: 45 }, now)).toBe(45);
    expect(scheduleIntervalMinutes(null, now)).toBeNull();
  });

  it('is the shortest gap between consecutive cron starts', () => {
    expect(scheduleIntervalMinutes({ cron: '*/15 * * * *' }, now)).toBe(15);
    expect(scheduleIntervalMinutes({ cron: '0 */4 * * *' }, now)).toBe(240);
    expect(scheduleIntervalMinutes({ cron: '0 6,18 * * *' }, now)).toBe(720);
    // uneven: 06:00 and 08:00 every day -> 2 hours apart at the closest
    expect(scheduleIntervalMinutes({ cron: '0 6,8 * * *' }, now)).toBe(120);
    // weekdays only: the gap that counts is the shortest (one day), not the weekend
    expect(scheduleIntervalMinutes({ cron: '30 2 * * 1-5', timezone: 'Europe/Helsinki' }, now)).toBe(1440);
    expect(scheduleIntervalMinutes({ cron: '0 3 * * 0' }, now)).toBe(7 * 1440);
  });
});

describe('scheduleStarts', () => {
  it('aligns interval schedules to the Unix epoch, as Temporal does', () => {
    const starts = scheduleStarts({ everyMinutes: 30 }, now, 3_600_000);
    expect(starts.map((d) => d.toISOString())).toEqual(['2026-03-02T10:30:00.000Z', '2026-03-02T11:00:00.000Z']);
  });

  it('reads cron in the schedule timezone', () => {
    const [first] = scheduleStarts({ cron: '0 12 * * *', timezone: 'Europe/Helsinki' }, now);
    expect(first.toISOString()).toBe('2026-03-03T10:00:00.000Z');
  });
});

describe('referenceIntervalMinutes', () => {
  it('follows the reference table, groups weighing half a user', () => {
    expect(referenceIntervalMinutes({ users: 500, groups: 1000, generic: 0 })?.everyMinutes).toBe(30);
    expect(referenceIntervalMinutes({ users: 501, groups: 0, generic: 0 })?.everyMinutes).toBe(60);
    expect(referenceIntervalMinutes({ users: 100, groups: 1002, generic: 0 })?.everyMinutes).toBe(60);
    expect(referenceIntervalMinutes({ users: 2000, groups: 0, generic: 0 })?.everyMinutes).toBe(60);
    expect(referenceIntervalMinutes({ users: 5000, groups: 0, generic: 0 })?.everyMinutes).toBe(240);
    expect(referenceIntervalMinutes({ users: 10_000, groups: 0, generic: 0 })?.everyMinutes).toBe(720);
    expect(referenceIntervalMinutes({ users: 0, groups: 0, generic: 50_000 })?.everyMinutes).toBe(1440);
    expect(referenceIntervalMinutes({ users: 50_001, groups: 0, generic: 0 })).toBeNull();
  });
});

describe('scheduleAdvice', () => {
  it('has no warning for a small full task every 30 minutes', () => {
    expect(warnings(scheduleAdvice(input()))).toEqual([]);
  });

  it('warns when a full task runs more often than its size allows', () => {
    const advice = scheduleAdvice(input({ size: { users: 3000, groups: 200, generic: 0, measuredBy: 'measured by run r1' }, task: { schedule: { cron: '0 * * * *' } } }));
    expect(warnings(advice)).toEqual([
      'a full read of 3,000 users and 200 groups (measured by run r1) is scheduled every 60 minutes; at this size the reference is every 4 hours: schedule it less often, or make it incremental',
    ]);
    // the same size every 4 hours is fine
    expect(warnings(scheduleAdvice(input({ size: { users: 3000, groups: 200, generic: 0, measuredBy: 'x' }, task: { schedule: { cron: '0 */4 * * *' } } })))).toEqual([]);
  });

  it('does not apply the size table to incremental tasks', () => {
    expect(warnings(scheduleAdvice(input({ size: { users: 40_000, groups: 0, generic: 0, measuredBy: 'x' }, task: { type: 'incremental', schedule: { everyMinutes: 10 } } })))).toEqual([]);
  });

  it('asks for more workers above 50,000 records', () => {
    const advice = warnings(scheduleAdvice(input({ size: { users: 80_000, groups: 0, generic: 0, measuredBy: 'from the preview totals' }, task: { schedule: { cron: '0 2 * * *' } } })));
    expect(advice).toHaveLength(1);
    expect(advice[0]).toContain('80,000 users (from the preview totals), above the 50,000');
  });

  it('says the size is unknown instead of guessing', () => {
    const advice = scheduleAdvice(input({ size: null }));
    expect(advice).toEqual([{ level: 'info', message: expect.stringContaining('source size is not known yet') }]);
  });

  it('warns when a recent run took longer than the interval', () => {
    const advice = warnings(scheduleAdvice(input({ recentRunDurationsMs: [20 * 60_000, 41 * 60_000] })));
    expect(advice).toEqual([
      'a recent run took 41 minutes, longer than the 30 minutes between scheduled starts: starts that fall while a run is still going are skipped',
    ]);
  });

  it('warns when another enabled task starts at the same minute on the pool', () => {
    const others = [
      { id: 't2', name: 'hr', schedule: { cron: '0,30 * * * *' }, enabled: true },
      { id: 't3', name: 'paused', schedule: { everyMinutes: 30 }, enabled: false },
      { id: 't4', name: 'offset', schedule: { cron: '7,37 * * * *' }, enabled: true },
      { id: 't5', name: 'manual', schedule: null, enabled: true },
    ];
    const advice = warnings(scheduleAdvice(input({ others })));
    expect(advice).toEqual([
      'starts at the same minute as "hr" on the same worker pool (next at 2026-03-02T10:30:00.000Z): offset the start minute so the runs do not compete',
    ]);
    // a task is never its own clash
    expect(warnings(scheduleAdvice(input({ others: [{ id: 't1', name: 'me', schedule: { everyMinutes: 30 }, enabled: true }] })))).toEqual([]);
  });

  it('has only an info for manual-only tasks', () => {
    expect(scheduleAdvice(input({ task: { schedule: null } }))).toEqual([{ level: 'info', message: 'manual runs only: no schedule to advise on' }]);
  });
});
