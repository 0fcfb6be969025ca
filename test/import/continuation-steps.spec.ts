import { ApplicationFailure } from '@temporalio/common';
import type { ImportTaskContinuation, RunPlan, RunStepRef } from '../../libs/temporal/src/contracts';
import { firstStep, stepList } from '../../workflows/run-steps';

const plan: RunPlan = {
  runId: 'r1',
  taskId: 't1',
  mode: 'full',
  reconcile: true,
  resources: [
    { kind: 'identity', path: '/Users' },
    { kind: 'access', path: '/Groups' },
  ] as RunPlan['resources'],
};

const continuation = (over: Partial<ImportTaskContinuation>): ImportTaskContinuation => ({ runId: 'r1', plan, nextStep: 0, ...over });

describe('where an execution that continued as new starts', () => {
  const list = stepList(plan);

  it('lists the steps by name, extracts by resource', () => {
    expect(list).toEqual([{ name: 'extract', resource: 0 }, { name: 'extract', resource: 1 }, { name: 'map' }, { name: 'diff' }, { name: 'load' }, { name: 'reconcile' }, { name: 'finish' }]);
    expect(stepList({ ...plan, reconcile: false }).map((s) => s.name)).not.toContain('reconcile');
  });

  it('a fresh run starts at the first step', () => {
    expect(firstStep(list, undefined)).toBe(0);
  });

  it('the step named in the continuation wins over its index, so an inserted step does not shift it', () => {
    // written by a version whose list had reconcile at index 5; this version inserted a step before it
    const withInserted: RunStepRef[] = [...list.slice(0, 5), { name: 'load' as const, resource: 9 }, ...list.slice(5)];
    expect(firstStep(withInserted, continuation({ resumeAt: { name: 'reconcile' }, nextStep: 5 }))).toBe(6);
    expect(firstStep(list, continuation({ resumeAt: { name: 'extract', resource: 1 }, nextStep: 0 }))).toBe(1);
  });

  it('a continuation from before step names exists resumes at its index', () => {
    expect(firstStep(list, continuation({ nextStep: 5 }))).toBe(5);
  });

  it('a step this version does not have fails the run with a clear, non-retryable reason', () => {
    const unknown = continuation({ resumeAt: { name: 'extract', resource: 7 }, nextStep: 1 });
    expect(() => firstStep(list, unknown)).toThrow(ApplicationFailure);
    expect(() => firstStep(list, unknown)).toThrow('this version of the workflow has no step "extract #7" to resume at');
  });
});
