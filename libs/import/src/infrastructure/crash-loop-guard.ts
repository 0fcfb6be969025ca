import { Context } from '@temporalio/activity';
import { canonicalJson } from '@app/mapping';
import { ActivityAttemptRepository, type ActivityAttemptRow } from '@app/persistence';
import type { Db } from '@app/persistence';
import { WorkerCrashLoopError } from '../errors/import-errors';

/** Crashes at one position after which the activity fails instead of killing the next worker too. */
export const MAX_CRASHES_AT_ONE_POSITION = 2;

/** The Temporal facts the guard needs about the running attempt. */
export interface AttemptInfo {
  workflowRunId: string;
  activityId: string;
  activityType: string;
  attempt: number;
  /** the last heartbeat details of the previous attempt: where it got to */
  position: unknown;
}

/** The running activity's attempt, or undefined outside an activity (benchmarks, direct calls in tests). */
export function currentAttempt(): AttemptInfo | undefined {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return undefined;
  }
  if (!info.workflowExecution) return undefined;
  return {
    workflowRunId: info.workflowExecution.runId,
    activityId: info.activityId,
    activityType: info.activityType,
    attempt: info.attempt,
    position: info.heartbeatDetails,
  };
}

/** Where an activity was, in words, from its heartbeat details (extract: pages; load: batches). */
export function describePosition(position: unknown): string {
  if (position === undefined || position === null) return 'before its first progress report';
  const p = position as Record<string, unknown>;
  const of = typeof p.resource === 'string' ? ` of ${p.resource}` : '';
  if (typeof p.pages === 'number') return `while reading page ${p.pages + 1}${of} (after ${p.pages} pages were staged)`;
  if (typeof p.batches === 'number') return `while writing batch ${p.batches + 1}${of}`;
  return `at position ${JSON.stringify(position).slice(0, 200)}`;
}

/**
 * What this attempt's start says about its predecessor: a row still open for an earlier attempt
 * means that attempt's process vanished without ending it (a thrown error or a result closes the
 * row), so it is a crash; a crash whose last progress report equals the previous crash's counts
 * again, one further on starts the count over. A thrown error (network, 5xx) never counts.
 */
export function judgeAttempt(previous: ActivityAttemptRow | undefined, attempt: AttemptInfo): { crashes: number; crashPosition: unknown; run: boolean } {
  const position = attempt.position ?? null;
  if (!previous) return { crashes: 0, crashPosition: null, run: true };
  if (!(previous.open && previous.attempt < attempt.attempt)) return { crashes: previous.crashes, crashPosition: previous.crash_position, run: true };
  const same = previous.crashes > 0 && canonicalJson(previous.crash_position ?? null) === canonicalJson(position);
  const crashes = same ? previous.crashes + 1 : 1;
  return { crashes, crashPosition: position, run: crashes < MAX_CRASHES_AT_ONE_POSITION };
}

/**
 * Runs one activity attempt under the crash-loop guard: records that it started, clears that when
 * it ends in a way this process sees, and refuses to start (WorkerCrashLoopError, not retried)
 * after the worker died twice at the same position of this activity. Outside an activity it just runs.
 */
export async function withCrashLoopGuard<T>(db: Db, work: () => Promise<T>, attempt: AttemptInfo | undefined = currentAttempt()): Promise<T> {
  if (!attempt) return work();
  const repo = new ActivityAttemptRepository(db);
  const verdict = await repo.open(attempt, (previous) => judgeAttempt(previous, attempt));
  if (!verdict.run) {
    throw new WorkerCrashLoopError(
      `the worker process stopped ${verdict.crashes} times during ${attempt.activityType} ${describePosition(attempt.position)} ` +
        `(out of memory or killed, attempts up to ${attempt.attempt - 1}); the activity is not tried again so that the next worker ` +
        `survives. Check the worker's log and memory (docs/operations.md, worker sizing), then retry the run`,
    );
  }
  if (attempt.attempt === 1) await repo.sweep();
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await repo.failed(attempt.workflowRunId, attempt.activityId, attempt.attempt).catch(() => undefined);
    throw err;
  }
  await repo.succeeded(attempt.workflowRunId, attempt.activityId, attempt.attempt).catch(() => undefined);
  return result;
}
