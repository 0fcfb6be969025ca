import type {
  DiffResult,
  ExtractResult,
  FinishResult,
  ImportTaskInput,
  LoadResult,
  MapResult,
  ReconcileResult,
  RemovalOutcome,
  RunPlan,
  RunStatsView,
} from '@app/temporal';

/**
 * The info line an import activity adds to its run's story in the worker's log: the run starting,
 * each step done with its counts and duration, the removal decision, the run ending. Built from
 * the activity's arguments and result only (references and counts), so it can carry no secret and
 * no record attribute; the records a removal marked are named by unique value, by the caller.
 */
export interface StoryLine {
  message: string;
  /** structured fields beside the message (JSON logs) */
  fields: Record<string, unknown>;
}

/** Unique values a line names at most; the rest are counted. */
export const NAMED_RECORDS_LIMIT = 20;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const statsText = (s: RunStatsView): string =>
  `read ${s.fetched}, created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, removed ${s.removed}, failed ${s.failed}`;

/** The story line of one completed activity, or undefined for activities that tell nothing new. */
export function storyLine(activityType: string, args: unknown[], result: unknown, elapsedMs: number): StoryLine | undefined {
  const took = { durationMs: Math.round(elapsedMs) };
  switch (activityType) {
    case 'prepareRun': {
      const input = args[0] as ImportTaskInput;
      const plan = result as RunPlan;
      const trigger = input.trigger ?? 'schedule';
      return {
        message: `run ${plan.runId} started: ${plan.mode}${plan.dryRun ? ' dry run' : ''}, ${trigger}, reading ${plan.resources.map((r) => r.path).join(', ')}`,
        fields: { mode: plan.mode, trigger, dryRun: !!plan.dryRun, resources: plan.resources.map((r) => r.path) },
      };
    }
    case 'extract': {
      const r = result as ExtractResult;
      const how = r.complete ? 'complete' : 'not proven complete';
      return {
        message: `extract ${r.resource} done in ${seconds(elapsedMs)}: ${r.fetched} records in ${r.pages} pages, ${how}${r.fullReadFallback ? ' (incremental read fell back to a full read)' : ''}`,
        fields: { ...took, resource: r.resource, fetched: r.fetched, pages: r.pages, complete: r.complete },
      };
    }
    case 'map': {
      const r = result as MapResult;
      // a map that ran out of its time budget goes on in the next attempt: only its last chunk tells
      if (!r.done) return undefined;
      return { message: `map done in ${seconds(elapsedMs)}: ${r.mapped} mapped, ${r.failed} failed`, fields: { ...took, mapped: r.mapped, failed: r.failed } };
    }
    case 'diff': {
      const r = result as DiffResult;
      return {
        message: `diff done in ${seconds(elapsedMs)}: ${r.create} to create, ${r.update} to update, ${r.unchanged} unchanged, ${r.failed} failed`,
        fields: { ...took, create: r.create, update: r.update, unchanged: r.unchanged, failed: r.failed },
      };
    }
    case 'load':
    case 'recordDryRun': {
      const r = result as LoadResult;
      const verb = activityType === 'load' ? 'load' : 'dry run';
      return {
        message: `${verb} done in ${seconds(elapsedMs)}: ${r.created} created, ${r.updated} updated in ${r.batches} batches`,
        fields: { ...took, created: r.created, updated: r.updated, batches: r.batches },
      };
    }
    case 'reconcileRemovals': {
      const r = result as ReconcileResult;
      const what = r.skipped ? `skipped${r.reason ? ` (${r.reason})` : ''}` : `${r.candidates ?? 0} candidates, ${r.state}, next ${r.next}`;
      return {
        message: `removal check done in ${seconds(elapsedMs)}: ${what}`,
        fields: { ...took, removalState: r.state, next: r.next, skipped: r.skipped, candidates: r.candidates ?? 0 },
      };
    }
    case 'applyRemovals':
    case 'declineRemovals': {
      const r = result as RemovalOutcome;
      const decision = String(args[1]);
      return {
        message: `removals ${activityType === 'applyRemovals' ? 'applied' : 'declined'} (${decision}): ${r.removed} marked removed`,
        fields: { ...took, decision, removed: r.removed, removalState: r.state },
      };
    }
    case 'finishRun': {
      const r = result as FinishResult;
      return { message: `run succeeded: ${statsText(r.stats)}`, fields: { status: r.status, stats: r.stats } };
    }
    case 'cancelRun':
      return { message: `run cancelled: ${statsText(result as RunStatsView)}`, fields: { status: 'cancelled', stats: result } };
    default:
      return undefined;
  }
}

/** `removed: a, b, c and 12 more` for the records a removal marked, by unique value. */
export function namedRecords(label: string, uniqueValues: string[], total: number): string {
  const named = uniqueValues.slice(0, NAMED_RECORDS_LIMIT);
  const rest = total - named.length;
  return `${label}: ${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}
