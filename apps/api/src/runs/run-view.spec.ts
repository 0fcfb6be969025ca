import { runPhases } from './run-view';

describe('runPhases', () => {
  const log = [
    { phase: 'prepare' as const, at: '2026-12-06T10:00:00.000000+00:00' },
    { phase: 'extract' as const, at: '2026-12-06T10:00:01.250000+00:00' },
    { phase: 'load' as const, at: '2026-12-06T10:00:09+00:00' },
  ];

  it('each step lasts until the next began; the last stays open while the run runs', () => {
    expect(runPhases(log, null)).toEqual([
      { phase: 'prepare', startedAt: '2026-12-06T10:00:00.000Z', finishedAt: '2026-12-06T10:00:01.250Z' },
      { phase: 'extract', startedAt: '2026-12-06T10:00:01.250Z', finishedAt: '2026-12-06T10:00:09.000Z' },
      { phase: 'load', startedAt: '2026-12-06T10:00:09.000Z', finishedAt: null },
    ]);
  });

  it('the last ends when the run finished', () => {
    expect(runPhases(log, new Date('2026-12-06T10:00:12Z'))[2].finishedAt).toBe('2026-12-06T10:00:12.000Z');
    expect(runPhases([], null)).toEqual([]);
  });
});
