/**
 * The steps of an import run and where an execution that continued as new resumes. Pure code
 * for workflows/ (imported by import-task.workflow.ts; not a workflow itself, so index.ts does not
 * export it): @temporalio/workflow and types only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ImportTaskContinuation, RunPlan, RunStepRef } from '../libs/temporal/src/contracts';

/** The run's steps in order; a continue-as-new names the step it resumes at (`resumeAt`). */
export function stepList(plan: RunPlan): RunStepRef[] {
  return [
    ...plan.resources.map((_, i) => ({ name: 'extract' as const, resource: i })),
    { name: 'map' },
    { name: 'diff' },
    { name: 'load' },
    ...(plan.reconcile ? [{ name: 'reconcile' as const }] : []),
    { name: 'finish' },
  ];
}

/**
 * Where an execution that continued as new starts: the step it names. Continuations written by
 * the version before names existed carry only the index, which means the same list then.
 */
export function firstStep(list: RunStepRef[], state: ImportTaskContinuation | undefined): number {
  if (!state) return 0;
  if (!state.resumeAt) return state.nextStep;
  const { name, resource } = state.resumeAt;
  const i = list.findIndex((s) => s.name === name && (s.resource ?? -1) === (resource ?? -1));
  if (i < 0) {
    throw ApplicationFailure.nonRetryable(
      `this version of the workflow has no step "${name}${resource === undefined ? '' : ` #${resource}`}" to resume at; deploy a version that has it, or restart the run`,
      'UnknownStepError',
    );
  }
  return i;
}
