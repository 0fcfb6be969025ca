/**
 * One import run: prepareRun → extract (per resource) → map → diff → load (a dry run:
 * recordDryRun, which records what load would do) → reconcileRemovals
 * (full runs; then applyRemovals, or a wait for approveRemovals / rejectRemovals when the set is
 * above the safety threshold) → finishRun; any failure → recordFailure, and the workflow fails
 * with an ApplicationFailure. Deterministic code only: @temporalio/workflow and `import type`.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ContinueAsNew,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ImportActivities } from '../libs/import/src/create-activities';
import type {
  ImportTaskContinuation,
  ImportTaskInput,
  MapCursor,
  RunFailureInfo,
  RunPlan,
  RunProgress,
  RunProgressReport,
  RunStatsView,
  RunStepName,
} from '../libs/temporal/src/contracts';
import { firstStep, stepList } from './run-steps';
import { approveRemovalsSignal, decideRemovalsUpdate, progressQuery, rejectRemovalsSignal, runProgressSignal } from './definitions';

/**
 * The changes to this workflow that runs already in flight must replay around, one `patched()`
 * id each (docs/operations.md, "Upgrading"). A history recorded before a change lacks its marker,
 * so `patched(id)` is false while such a history replays and the old path runs; new executions
 * take the new path and record the marker. Once no run older than a change can remain (the
 * longest wait for a removal decision plus the staging resume window), the branch becomes
 * `deprecatePatch(id)` and later goes.
 */
export const PATCHES = {
  /** a cancel requested while a step finished is honoured instead of being lost with a continue-as-new */
  cancelBeforeContinueAsNew: 'cancel-before-continue-as-new',
} as const;

/**
 * Failure types no retry can fix: the libs/scim taxonomy (NON_RETRYABLE_SCIM_ERROR_TYPES) plus
 * the engine's own (NON_RETRYABLE_IMPORT_ERROR_TYPES). Duplicated as literals because workflow
 * code cannot import those libs at runtime; a unit test keeps the lists equal.
 */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  'ScimAuthError',
  'ScimConfigError',
  'ScimProtocolError',
  'ScimIncompleteReadError',
  'ScimResponseTooLargeError',
  'ImportConfigError',
  'RunAlreadyInProgressError',
  'SecretKeyMismatchError',
  'StagingLostError',
  'GroupTooLargeError',
  'WorkerCrashLoopError',
];

/**
 * How many times a run reads its source again after its staging was lost (StagingLostError:
 * PostgreSQL crash recovery empties the UNLOGGED staging) before it fails for an operator.
 */
const MAX_STAGING_REDOS = 3;

/** The staged records of the run are gone: the steps after extract cannot be retried alone. */
function isStagingLost(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'StagingLostError';
}

// the queries, signals and update the run answers (set below; the API sends them from the same module)
export { approveRemovalsSignal, decideRemovalsUpdate, progressQuery, rejectRemovalsSignal } from './definitions';

/** How long removals above the safety threshold wait for a decision before they expire. */
const REMOVAL_DECISION_TIMEOUT_MS = 72 * 3_600_000;

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 10,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

// quick, set-based steps
const steps = proxyActivities<ImportActivities>({ startToCloseTimeout: '30m', retry });

// long steps heartbeat every page/chunk/batch, and while a long statement runs (diff's UPDATE,
// the removal candidates): a dead worker is noticed within the heartbeat timeout.
// On cancellation the workflow waits until the activity has stopped (it checks between batches),
// so cancelRun marks the run only after its last batch committed and nothing writes after it.
const longSteps = proxyActivities<ImportActivities>({
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry,
});

const failureSteps = proxyActivities<ImportActivities>({
  startToCloseTimeout: '2m',
  retry: { ...retry, maximumAttempts: 5 },
});

const EMPTY_STATS: RunStatsView = { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 };

type StepName = RunStepName;

/**
 * A cancel request does not pass to the next execution of a continue-as-new: when it arrived
 * while the last step finished, end the run as cancelled instead of continuing without it.
 */
function throwIfCancelledBeforeContinueAsNew(): void {
  if (CancellationScope.current().consideredCancelled && patched(PATCHES.cancelBeforeContinueAsNew)) {
    throw new CancelledFailure('the run was cancelled before it continued as new');
  }
}

/** Type and message of what failed, from the activity failure chain. */
function describeFailure(err: unknown): RunFailureInfo {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? 'Error', message: e.message };
  if (e instanceof TimeoutFailure) return { type: 'ActivityTimeout', message: `an activity timed out (${e.timeoutType})` };
  if (e instanceof Error) return { type: e.name, message: e.message };
  return { type: 'Error', message: String(e) };
}

/** 12345 → "12,345" (no Intl in workflow code: its data may differ between workers). */
function count(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** What the Temporal UI shows as the run's current details: the step it is in and the counts so far. */
function currentDetails(step: string, stats: RunStatsView, position?: { index: number; total: number }, note?: string): string {
  const where = position ? ` (step ${position.index + 1} of ${position.total})` : '';
  const counts = (['fetched', 'created', 'updated', 'unchanged', 'removed', 'failed'] as const).map((k) => `${k} ${count(stats[k])}`).join(' · ');
  return [`**${step}**${where}`, counts, ...(note ? [note] : [])].join('\n\n');
}

/** 75 → "1 min 15 s": a rough time left, as an operator reads it. */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * What a progress report of the running step says, one line per resource read (or the load's
 * writes): the same numbers GET /runs/:id shows as `progress`.
 */
function progressNote(report: RunProgressReport, step: 'extract' | 'load'): string | undefined {
  if (step === 'load') return report.load ? `written ${count(report.load.written)} of ${count(report.load.total)} records` : undefined;
  const lines = report.resources.map((r) => {
    if (r.done) return `${r.path}: ${count(r.read)} read, done`;
    if (r.read === 0 && r.perSecond === null) return `${r.path}: ${r.expected === null ? 'not read yet' : `not read yet, ${count(r.expected)} expected`}`;
    const of = r.expected === null ? '' : ` of ${count(r.expected)} (${r.expectedFrom === 'totalResults' ? "the server's totalResults" : 'as many as the last complete read'})`;
    const rate = r.perSecond === null ? '' : ` · ${count(r.perSecond)}/s`;
    const eta = r.etaSeconds === null ? '' : ` · about ${duration(r.etaSeconds)} left`;
    return `${r.path}: ${count(r.read)}${of} read${rate}${eta}`;
  });
  return lines.length > 0 ? lines.join('\n\n') : undefined;
}

/** The one-line summary an activity shows in the UI's event history, e.g. "extract /Users". */
function stepLabel(step: { name: StepName; resource?: number }, plan: RunPlan): string {
  if (step.name === 'extract') return `extract ${plan.resources[step.resource ?? 0].path}`;
  if (step.name === 'reconcile') return 'removal reconciliation';
  return step.name;
}

/** The import run workflow (type name `importTask`). */
export async function importTask(input: ImportTaskInput): Promise<RunProgress> {
  const info = workflowInfo();
  let runId: string | undefined = input.state?.runId;
  let phase = input.state ? 'resume' : 'prepare';
  let stats: RunStatsView = EMPTY_STATS;
  // The first decision wins. Decisions count only from the reconcile step on: the API sends one
  // as soon as the stored state says awaitingApproval, which may be before the activity returns,
  // but a stray early signal must never approve a set that does not exist yet.
  let removalDecision: 'approve' | 'reject' | undefined;
  // an execution that continued as new only to wait for the decision accepts one from its start
  let acceptingRemovalDecision = input.state?.awaitingDecisionUntil !== undefined;
  // whether reconcile left removals waiting for a decision (undefined: not known yet)
  let removalsPending: boolean | undefined = input.state?.awaitingDecisionUntil !== undefined ? true : undefined;
  setHandler(progressQuery, () => ({ runId, phase, stats }));
  // the step the current details describe, for the progress reports of its activity
  let shown: { step: string; position: { index: number; total: number } } | undefined;
  setHandler(runProgressSignal, (report) => {
    // a report that arrives after its step ended (it was on its way) describes the past
    if (!shown || (phase !== 'extract' && phase !== 'load')) return;
    setCurrentDetails(currentDetails(shown.step, stats, shown.position, progressNote(report, phase)));
  });
  setHandler(approveRemovalsSignal, () => {
    if (acceptingRemovalDecision) removalDecision ??= 'approve';
  });
  setHandler(rejectRemovalsSignal, () => {
    if (acceptingRemovalDecision) removalDecision ??= 'reject';
  });
  setHandler(
    decideRemovalsUpdate,
    async (decision) => {
      // the stored state may say awaitingApproval before reconcile's result reaches the workflow
      await condition(() => removalsPending !== undefined || !acceptingRemovalDecision);
      if (!removalsPending || !acceptingRemovalDecision) {
        throw ApplicationFailure.nonRetryable('this run has no removals waiting for a decision', 'NoRemovalDecisionPending');
      }
      removalDecision ??= decision;
      return { decision: removalDecision };
    },
    {
      validator: (decision) => {
        if (decision !== 'approve' && decision !== 'reject') {
          throw ApplicationFailure.nonRetryable(`unknown removal decision "${String(decision)}"`, 'NoRemovalDecisionPending');
        }
        if (!acceptingRemovalDecision || removalsPending === false) {
          throw ApplicationFailure.nonRetryable('this run is not waiting for a removal decision', 'NoRemovalDecisionPending');
        }
        if (removalDecision !== undefined && removalDecision !== decision) {
          throw ApplicationFailure.nonRetryable(`the removals were already ${removalDecision === 'approve' ? 'approved' : 'rejected'}`, 'NoRemovalDecisionPending');
        }
      },
    },
  );
  const decisionTimeoutMs = input.removalDecisionTimeoutMs ?? REMOVAL_DECISION_TIMEOUT_MS;

  try {
    const plan =
      input.state?.plan ??
      (await steps.prepareRun({ taskId: input.taskId, trigger: input.trigger, mode: input.mode, retryOf: input.retryOf, dryRun: input.dryRun }, info.workflowId, info.runId));
    runId = plan.runId;
    const list = stepList(plan);
    let toWrite: number | undefined;
    const first = firstStep(list, input.state);
    let stagingRedos = input.state?.stagingRedos ?? 0;
    // what the next execution needs to go on at step i: references only, the step by name and index
    const continuation = (i: number, awaitingDecisionUntil?: number): ImportTaskContinuation => ({
      runId: plan.runId,
      plan,
      resumeAt: list[i],
      nextStep: i,
      stagingRedos,
      ...(awaitingDecisionUntil === undefined ? {} : { awaitingDecisionUntil }),
    });

    for (let i = first; i < list.length; i++) {
      // keep history small on huge runs: carry only references into a fresh execution
      if (i > first && workflowInfo().continueAsNewSuggested) {
        throwIfCancelledBeforeContinueAsNew();
        await continueAsNew<typeof importTask>({
          taskId: input.taskId,
          trigger: input.trigger,
          removalDecisionTimeoutMs: input.removalDecisionTimeoutMs,
          state: continuation(i),
        });
      }
      const step = list[i];
      phase = step.name;
      const label = stepLabel(step, plan);
      const position = { index: i, total: list.length };
      shown = { step: `${label} · ${plan.mode} run`, position };
      setCurrentDetails(currentDetails(`${label} · ${plan.mode} run`, stats, position));
      try {
        switch (step.name) {
          case 'extract': {
            stats = (await longSteps.extract.executeWithOptions({ summary: label }, [runId, plan.resources[step.resource ?? 0].kind])).stats;
            break;
          }
          case 'map': {
            let cursor: MapCursor = {};
            for (;;) {
              const r = await longSteps.map.executeWithOptions({ summary: 'map staged records' }, [runId, cursor]);
              stats = r.stats;
              if (r.done) break;
              cursor = { afterKey: r.afterKey };
              setCurrentDetails(currentDetails(`${label} · ${plan.mode} run`, stats, position, `mapped ${count(r.mapped)} records in the last chunk`));
            }
            break;
          }
          case 'diff': {
            const r = await longSteps.diff.executeWithOptions({ summary: 'diff against the target store' }, [runId]);
            stats = r.stats;
            toWrite = r.create + r.update;
            break;
          }
          case 'load': {
            const note = toWrite === undefined ? undefined : `writing ${count(toWrite)} of ${count(stats.fetched)} records (the rest are unchanged or failed)`;
            setCurrentDetails(currentDetails(`${label} · ${plan.mode} run`, stats, position, note));
            // a dry run stops before load: it records what load would do and writes nothing
            stats = (
              await (plan.dryRun
                ? longSteps.recordDryRun.executeWithOptions({ summary: 'dry run: record what load would do' }, [runId])
                : longSteps.load.executeWithOptions({ summary: 'load into the target store' }, [runId]))
            ).stats;
            break;
          }
          case 'reconcile': {
            // the activity proves the read complete from the stored reports and says why when it skips
            acceptingRemovalDecision = true;
            const waitingUntil = i === first ? input.state?.awaitingDecisionUntil : undefined;
            const r = waitingUntil === undefined ? await longSteps.reconcileRemovals(runId, { decisionTimeoutMs }) : undefined;
            stats = r?.stats ?? stats;
            removalsPending = r?.next === 'awaitDecision' || waitingUntil !== undefined;
            // a decision Update that came while reconcile ran answers now, before anything below
            // could continue as new without it (not cancellable: a cancel is handled below, behind
            // its patch, as the code before this wait handled it)
            await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
            if (r?.next === 'apply') {
              stats = (await longSteps.applyRemovals(runId, 'withinThreshold')).stats;
            } else if (r?.next === 'awaitDecision' || waitingUntil !== undefined) {
              const until = waitingUntil ?? Date.now() + decisionTimeoutMs;
              // The decision window may be longer than this execution's run timeout (the guard
              // against hung runs): wait in a fresh execution whose run timeout covers the window
              // plus the same guard for applying the decision.
              const guardMs = workflowInfo().runTimeoutMs;
              if (waitingUntil === undefined && guardMs !== undefined && removalDecision === undefined) {
                throwIfCancelledBeforeContinueAsNew();
                await makeContinueAsNewFunc<typeof importTask>({ workflowRunTimeout: until - Date.now() + guardMs })({
                  taskId: input.taskId,
                  trigger: input.trigger,
                  removalDecisionTimeoutMs: input.removalDecisionTimeoutMs,
                  state: continuation(i, until),
                });
              }
              phase = 'awaitingRemovalApproval';
              setCurrentDetails(currentDetails('waiting for removal approval', stats, position, r?.candidates !== undefined ? `${count(r.candidates)} removals above the safety threshold` : 'removals above the safety threshold'));
              const decided = await condition(() => removalDecision !== undefined, Math.max(1, until - Date.now()));
              acceptingRemovalDecision = false;
              removalsPending = false;
              phase = 'reconcile';
              stats = decided && removalDecision === 'approve'
                ? (await longSteps.applyRemovals(runId, 'approved')).stats
                : (await steps.declineRemovals(runId, decided ? 'rejected' : 'expired')).stats;
            }
            break;
          }
          case 'finish':
            stats = (await steps.finishRun(runId)).stats;
            break;
        }
      } catch (err) {
        // what was read is no longer staged: read it again (the first extract starts staging over)
        if (!isStagingLost(err)) throw err;
        if (stagingRedos >= MAX_STAGING_REDOS) {
          throw ApplicationFailure.nonRetryable(
            `the run's staged records were lost ${stagingRedos + 1} times (PostgreSQL crash recovery or restore empties staging); nothing was declared done: restart the run once the database is stable`,
            'StagingLostError',
          );
        }
        stagingRedos += 1;
        i = -1;
      }
    }
    phase = 'done';
    setCurrentDetails(currentDetails(`succeeded · ${plan.mode} run`, stats));
    return { runId, phase, stats };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      phase = 'cancelled';
      const id = runId;
      if (id) {
        await CancellationScope.nonCancellable(async () => {
          stats = await failureSteps.cancelRun(id);
        });
      }
      throw err;
    }
    const failure = describeFailure(err);
    // a scheduled start while a run-now of the task is in progress: the schedule's SKIP did not
    // see that run, prepareRun's per-task lock did; nothing started, so nothing to record
    if (!runId && failure.type === 'RunAlreadyInProgressError') {
      phase = 'skipped';
      return { runId, phase, stats };
    }
    phase = 'failed';
    setCurrentDetails(currentDetails('failed', stats, undefined, `${failure.type}: ${failure.message}`));
    try {
      await CancellationScope.nonCancellable(() =>
        failureSteps.recordFailure(
          { runId, taskId: input.taskId, workflowId: info.workflowId, temporalRunId: info.runId, trigger: input.trigger },
          failure,
        ),
      );
    } catch {
      // the run still has to show as Failed in Temporal even if its failure record could not be written
    }
    throw ApplicationFailure.nonRetryable(failure.message, failure.type);
  }
}
