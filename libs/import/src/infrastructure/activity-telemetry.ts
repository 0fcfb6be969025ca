import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { currentLogContext, withLogContext, type LogFields } from '@app/logging';
import type { ScimMetrics } from '@app/scim';
import type { ExtractResult, FailureRef, FinishResult, ImportTaskInput, RunPlan, RunStatsView } from '@app/temporal';
import { Db, RunRepository } from '@app/persistence';
import type { ImportLogger } from '../create-activities';
import type { ImportMetrics, RunOutcome, TaskLabels } from './import-metrics';
import { NAMED_RECORDS_LIMIT, namedRecords, storyLine } from './run-story';

/** What an activity's log lines carry besides the SDK's workflowId, temporalRunId, activityType and attempt. */
interface RunIds {
  runId?: string;
  taskId?: string;
  taskName?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Remembered task of a run: activities of the same run look it up once per worker. */
const CACHE_LIMIT = 1_000;

export interface ActivityTelemetryDeps {
  dataSource: DataSource;
  logger?: ImportLogger;
  metrics?: ImportMetrics;
}

export interface ActivityTelemetry {
  /** Worker `interceptors.activity` entry. */
  interceptors: ActivityInterceptorsFactory;
  /** SCIM transport counters labelled with the task of the activity that sends the request. */
  scimMetrics?: ScimMetrics;
}

/**
 * Puts the run's ids on every log line written during an import activity (our run id and task id
 * next to the Temporal ids) and turns activity results into import metrics. Ids come from the
 * activities' arguments (run id first; prepareRun's input; recordFailure's reference) and, for the
 * task, one database lookup per run.
 */
export function createActivityTelemetry(deps: ActivityTelemetryDeps): ActivityTelemetry {
  let db: Db | undefined;
  const sql = (): Db => (db ??= Db.fromDataSource(deps.dataSource));
  const runs = () => new RunRepository(sql());
  const tasks = new Map<string, { taskId: string; taskName?: string }>();

  async function taskOfRun(runId: string): Promise<{ taskId: string; taskName?: string } | undefined> {
    const known = tasks.get(runId);
    if (known) return known;
    const found = await runs().taskOf(runId);
    if (!found) return undefined;
    if (tasks.size >= CACHE_LIMIT) tasks.clear();
    tasks.set(runId, found);
    return found;
  }

  async function idsOf(activityType: string, args: unknown[], workflowId: string | undefined): Promise<RunIds> {
    const first = args[0];
    if (activityType === 'prepareRun' && first && typeof first === 'object') {
      const taskId = (first as ImportTaskInput).taskId;
      // the run row exists already when the API answered run-now with it, or on a retry
      return { taskId, ...(await runs().namesOfStart(taskId, workflowId ?? '')) };
    }
    if (activityType === 'recordFailure' && first && typeof first === 'object') {
      const ref = first as FailureRef;
      const task = ref.runId ? await taskOfRun(ref.runId) : undefined;
      return { runId: ref.runId, taskId: ref.taskId, taskName: task?.taskName };
    }
    if (typeof first === 'string' && UUID.test(first)) return { runId: first, ...(await taskOfRun(first)) };
    return {};
  }

  /** When a run started, read once per activity execution however many closing lines ask. */
  type StartOf = (runId: string) => Promise<Date | undefined>;
  function startLookup(): StartOf {
    const known = new Map<string, Promise<Date | undefined>>();
    return (runId) => {
      let start = known.get(runId);
      if (!start) known.set(runId, (start = runs().startedAt(runId)));
      return start;
    };
  }

  async function closing(runId: string, startOf: StartOf): Promise<{ task?: TaskLabels; seconds: number; stats: RunStatsView }> {
    const task = await taskOfRun(runId);
    const startedAt = await startOf(runId);
    const stats = await runs().stats(runId);
    const started = startedAt?.getTime() ?? Date.now();
    return { task, seconds: (Date.now() - started) / 1000, stats };
  }

  async function measure(activityType: string, args: unknown[], result: unknown, ids: RunIds, startOf: StartOf): Promise<void> {
    const metrics = deps.metrics;
    if (!metrics) return;
    const task: TaskLabels | undefined = ids.taskId ? { taskId: ids.taskId, taskName: ids.taskName } : undefined;
    if (activityType === 'extract' && task) {
      const r = result as ExtractResult;
      metrics.extracted(task, r.resource, r.fetched, r.pages);
      return;
    }
    const outcome: RunOutcome | undefined =
      activityType === 'finishRun' ? 'succeeded' : activityType === 'cancelRun' ? 'cancelled' : activityType === 'recordFailure' ? 'failed' : undefined;
    if (!outcome) return;
    const runId = outcome === 'failed' ? (result as { runId?: string }).runId : (args[0] as string);
    if (!runId) return;
    const closed = await closing(runId, startOf);
    const stats = outcome === 'succeeded' ? (result as FinishResult).stats : outcome === 'cancelled' ? (result as RunStatsView) : closed.stats;
    const labels = closed.task ?? task;
    if (labels) metrics.runClosed(labels, outcome, stats, closed.seconds);
  }

  /** The run's story at info (run-story.ts): what the step did, the records a removal marked, how long the run took. */
  async function tell(activityType: string, args: unknown[], result: unknown, elapsedMs: number, ids: RunIds, startOf: StartOf): Promise<void> {
    const logger = deps.logger;
    const line = logger && storyLine(activityType, args, result, elapsedMs);
    if (!logger || !line) return;
    const runId = ids.runId;
    if ((activityType === 'finishRun' || activityType === 'cancelRun') && runId) {
      const startedAt = await startOf(runId);
      if (startedAt) line.fields.durationMs = Date.now() - startedAt.getTime();
    }
    logger.log(line.message, line.fields);
    const removed = (result as { removed?: number }).removed ?? 0;
    if (activityType === 'applyRemovals' && runId && removed > 0) {
      const repo = runs();
      const records = await repo.outcomePage(await repo.rowOf(runId), NAMED_RECORDS_LIMIT, { outcome: 'removed' });
      logger.log(namedRecords('marked removed', records.map((r) => `${r.kind} ${r.uniqueValue ?? r.sourceId ?? '?'}`), removed), { removed });
    }
  }

  const interceptors: ActivityInterceptorsFactory = (ctx) => {
    const info = ctx.info;
    const fields: LogFields & RunIds = {
      workflowId: info.workflowExecution?.workflowId,
      temporalRunId: info.workflowExecution?.runId,
      activityType: info.activityType,
      attempt: info.attempt,
    };
    return {
      inbound: {
        async execute(input, next) {
          try {
            Object.assign(fields, await idsOf(info.activityType, input.args, info.workflowExecution?.workflowId));
          } catch {
            // ids are a courtesy to the reader of the logs: a failed lookup must not fail the activity
          }
          return withLogContext(fields, async () => {
            deps.logger?.debug?.('activity started');
            // the attempt before this one failed or timed out (its heartbeat stopped): Temporal retries it
            if (info.attempt > 1) deps.logger?.warn(`${info.activityType} attempt ${info.attempt}: retrying after the previous attempt failed or timed out`);
            const started = Date.now();
            const result = await next(input);
            if (info.activityType === 'prepareRun') fields.runId = (result as RunPlan).runId;
            const startOf = startLookup();
            try {
              await tell(info.activityType, input.args, result, Date.now() - started, fields, startOf);
            } catch (err) {
              deps.logger?.warn(`run story not logged: ${err instanceof Error ? err.message : String(err)}`);
            }
            try {
              await measure(info.activityType, input.args, result, fields, startOf);
            } catch (err) {
              deps.logger?.warn(`import metrics not recorded: ${err instanceof Error ? err.message : String(err)}`);
            }
            return result;
          });
        },
      },
      outbound: {
        // the SDK's own activity lines (completed, failed) are written outside withLogContext
        getLogAttributes: (input, next) => next({ ...input, runId: fields.runId, taskId: fields.taskId, taskName: fields.taskName }),
      },
    };
  };

  const scimMetrics = deps.metrics?.scim(() => {
    const ctx = currentLogContext() as RunIds | undefined;
    return ctx?.taskId ? { taskId: ctx.taskId, taskName: ctx.taskName } : undefined;
  });
  return { interceptors, scimMetrics };
}
