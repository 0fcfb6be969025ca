import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import type { SecretBox } from '@app/persistence';
import type { ScimLogger, ScimMetrics } from '@app/scim';
import { signalRunProgress, temporalUiLink } from '@app/temporal';
import type {
  DiffResult,
  ExtractResult,
  FailureRef,
  FinishResult,
  ImportTaskInput,
  LoadResult,
  MapCursor,
  MapResult,
  ReconcileOptions,
  ReconcileResult,
  RemovalOutcome,
  ResourceKind,
  RunFailureInfo,
  RunPlan,
  RunStatsView,
} from '@app/temporal';
import { cancelRun } from './finish/cancel-run';
import { Db } from '@app/persistence';
import { withCrashLoopGuard } from './infrastructure/crash-loop-guard';
import { diffRun } from './decide/diff';
import { recordDryRunOutcomes } from './load/dry-run';
import { extract } from './extract/extract';
import { finishRun } from './finish/finish-run';
import { loadRun } from './load/load';
import { mapRecords } from './decide/map-records';
import { livenessFromClient, prepareRun } from './prepare/prepare-run';
import { applyRemovals, declineRemovals, reconcileRemovals } from './removals/reconcile-removals';
import { recordFailure } from './finish/record-failure';
import { ImportTaskRepository, RunRepository } from '@app/persistence';
import { connectorRedactor, openScimConnection, scimClientFactoryFor, type ScimClientFactory } from './extract/scim-connection';
import { StagingRepository } from '@app/persistence';
import { TargetStoreRepository } from '@app/persistence';
import { toApplicationFailure } from './errors/to-application-failure';
import { DEFAULT_TUNING, type ImportTuning } from './run-config/tuning';
import { workerMemory } from './infrastructure/worker-memory';
import { ProgressSignals, type ProgressSend } from './infrastructure/progress-signals';
import { emitRunEvent, type RunEventDeps } from './run-events/emit-run-event';
import { createWebhookActivities } from './run-events/webhook-activities';
import type { RunEventType } from '@app/persistence';

/** The longest a run waits for its event to be recorded and handed to Temporal. */
const ANNOUNCE_TIMEOUT_MS = 5_000;

export interface ImportLogger {
  log(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  error(message: string, meta?: object): void;
  debug?(message: string, meta?: object): void;
}

/** What the activities need; the worker resolves these from Nest DI. */
export interface ImportDeps {
  /** initialised TypeORM DataSource (PostgreSQL); the activities use its pg pool directly */
  dataSource: DataSource;
  secretBox: SecretBox;
  config: AppConfig;
  logger?: ImportLogger;
  scimClientFactory?: ScimClientFactory;
  /** SCIM HTTP counters (status codes, retries, rate-limit waits); see import-metrics.ts */
  scimMetrics?: ScimMetrics;
  /** to tell whether a stale 'running' run's workflow is gone; defaults to the worker's client */
  temporalClient?: Client;
  tuning?: Partial<ImportTuning>;
}

function workerClient(): Client | undefined {
  try {
    return Context.current().client;
  } catch {
    return undefined;
  }
}

/** How the current activity signals its own workflow execution; undefined outside a worker. */
function progressSend(client: Client | undefined): ProgressSend | undefined {
  try {
    const execution = Context.current().info.workflowExecution;
    if (!execution) return undefined;
    const to = client ?? Context.current().client;
    return (report) => signalRunProgress(to, { workflowId: execution.workflowId, runId: execution.runId }, report);
  } catch {
    return undefined;
  }
}

/**
 * Builds the import activities as plain async functions (the worker registers them with
 * `activities: createActivities(deps)`). They take and return references and counts only.
 */
export function createActivities(deps: ImportDeps) {
  const tuning: ImportTuning = { ...DEFAULT_TUNING, pageThreads: deps.config.workerPageThreads, ...deps.tuning };
  const factory = deps.scimClientFactory ?? scimClientFactoryFor(deps.config);
  const scimLogger: ScimLogger | undefined = deps.logger
    ? { debug: (msg, meta) => deps.logger?.debug?.(msg, meta), warn: (msg, meta) => deps.logger?.warn(msg, meta) }
    : undefined;
  // the DataSource may be initialised after the factory runs (Nest lifecycle), so resolve lazily
  let db: Db | undefined;
  const sql = (): Db => (db ??= Db.fromDataSource(deps.dataSource));
  const runs = () => new RunRepository(sql(), { perActivity: true });
  const templates = () => new TargetStoreRepository(sql());

  const events: Omit<RunEventDeps, 'db'> = {
    client: () => deps.temporalClient ?? workerClient(),
    taskQueue: deps.config.taskQueue,
    retryInitialMs: deps.config.webhookRetryInitialMs,
    logger: deps.logger,
  };
  /**
   * Announces a state the activity has committed (run events, docs/api.md): never fails or holds up
   * the run; a retried activity announces nothing twice, and what is lost here the sweep catches up.
   */
  async function announce(runId: string | (() => Promise<string>), type: RunEventType): Promise<void> {
    const emitting = (async () => emitRunEvent({ ...events, db: sql() }, typeof runId === 'string' ? runId : await runId(), type))().catch((err: unknown) =>
      deps.logger?.warn(`run event ${type} not emitted: ${err instanceof Error ? err.message : String(err)}`),
    );
    // a database or Temporal that hangs holds the run up this long at most; the emission goes on behind it
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([emitting, new Promise<void>((resolve) => (timer = setTimeout(resolve, ANNOUNCE_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  const showingRow = (runId: string) => () => runs().rowOf(runId);

  /** Every activity maps its errors in the one place that knows the taxonomy. */
  async function guarded<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      // a worker that died during this activity twice at the same position does not get a third go
      return await withCrashLoopGuard(sql(), work);
    } catch (err) {
      const failure = toApplicationFailure(err);
      // messages are already redacted where a connector secret could appear (extract, recordFailure)
      deps.logger?.warn(`import activity ${name} failed: ${failure.message}`);
      throw failure;
    }
  }

  return {
    /** Creates or takes over the run row of this workflow execution and plans the run. */
    async prepareRun(input: ImportTaskInput, workflowId: string, temporalRunId: string): Promise<RunPlan> {
      const plan = await guarded('prepareRun', () =>
        prepareRun(sql(), livenessFromClient(deps.temporalClient ?? workerClient(), deps.config.temporalNamespace), input, { workflowId, temporalRunId }),
      );
      await announce(showingRow(plan.runId), 'run.started');
      return plan;
    },

    /** Reads one resource from the SCIM source into staging. */
    async extract(runId: string, resource: ResourceKind): Promise<ExtractResult> {
      const repo = runs();
      return guarded('extract', () =>
        extract(
          {
            runs: repo,
            progress: new ProgressSignals({ runs: repo, send: progressSend(deps.temporalClient), logger: deps.logger }, runId),
            staging: new StagingRepository(sql(), repo),
            connect: (connectorId, signal) =>
              openScimConnection(deps.dataSource, deps.secretBox, connectorId, factory, {
                logger: scimLogger,
                metrics: deps.scimMetrics,
                signal,
                processPageLimitBytes: workerMemory().pageLimitBytes,
              }),
            memberFetchConcurrency: tuning.memberFetchConcurrency,
            pageThreads: tuning.pageThreads,
            logger: deps.logger,
            templates: templates(),
          },
          runId,
          resource,
        ),
      );
    },

    /** Maps staged records (chunked; returns done=false with a cursor when its time budget ran out). */
    async map(runId: string, cursor: MapCursor = {}): Promise<MapResult> {
      return guarded('map', () =>
        mapRecords({ db: sql(), runs: runs(), templates: templates(), chunkSize: tuning.mapChunkSize, timeBudgetMs: tuning.mapTimeBudgetMs }, runId, cursor),
      );
    },

    /** Decides create / update / unchanged per record. */
    async diff(runId: string): Promise<DiffResult> {
      return guarded('diff', () => diffRun({ db: sql(), runs: runs() }, runId));
    },

    /** Writes the decided records into the target store, batch by batch. */
    async load(runId: string): Promise<LoadResult> {
      const repo = runs();
      const progress = new ProgressSignals({ runs: repo, send: progressSend(deps.temporalClient), logger: deps.logger }, runId);
      return guarded('load', () =>
        loadRun({ db: sql(), runs: repo, templates: templates(), batchSize: tuning.loadBatchSize, batchPauseMs: tuning.loadBatchPauseMs, concurrency: tuning.loadConcurrency, progress }, runId),
      );
    },

    /** The load step of a dry run: records what load would do, writes nothing to the target. */
    async recordDryRun(runId: string): Promise<LoadResult> {
      return guarded('recordDryRun', () => recordDryRunOutcomes({ db: sql(), runs: runs() }, runId));
    },

    /** Full runs: proves the read complete, computes the removal candidates and checks the safety threshold. */
    async reconcileRemovals(runId: string, options: ReconcileOptions): Promise<ReconcileResult> {
      const result = await guarded('reconcileRemovals', () => reconcileRemovals({ db: sql(), runs: runs(), batchSize: tuning.removalBatchSize }, runId, options));
      if (result.next === 'awaitDecision') await announce(showingRow(runId), 'run.awaitingRemovalApproval');
      return result;
    },

    /** Marks exactly the computed candidate set removed, batch by batch. */
    async applyRemovals(runId: string, decision: 'withinThreshold' | 'approved'): Promise<RemovalOutcome> {
      const outcome = await guarded('applyRemovals', () => applyRemovals({ db: sql(), runs: runs(), batchSize: tuning.removalBatchSize }, runId, decision));
      await announce(showingRow(runId), 'run.removalsApplied');
      return outcome;
    },

    /** Closes removals that were rejected or expired; nothing is removed. */
    async declineRemovals(runId: string, decision: 'rejected' | 'expired'): Promise<RemovalOutcome> {
      return guarded('declineRemovals', () => declineRemovals({ db: sql(), runs: runs(), batchSize: tuning.removalBatchSize }, runId, decision));
    },

    /** Closes a successful run. */
    async finishRun(runId: string): Promise<FinishResult> {
      const result = await guarded('finishRun', () => finishRun(sql(), runs(), runId));
      await announce(showingRow(runId), 'run.succeeded');
      return result;
    },

    /** Marks a cancelled run. */
    async cancelRun(runId: string): Promise<RunStatsView> {
      const stats = await guarded('cancelRun', () => cancelRun(runs(), runId));
      await announce(showingRow(runId), 'run.cancelled');
      return stats;
    },

    /** Marks the run failed and writes its one failure datacard. */
    async recordFailure(ref: FailureRef, error: RunFailureInfo): Promise<{ runId: string; failureDatacardId: string | null }> {
      const recorded = await guarded('recordFailure', async () => {
        const task = await new ImportTaskRepository(sql()).get(ref.taskId);
        const redact = await connectorRedactor(deps.dataSource, deps.secretBox, task?.connectorId);
        const result = await recordFailure(sql(), runs(), ref, error, redact);
        deps.logger?.warn(`import run ${result.runId} failed: ${error.type}`, {
          runId: result.runId,
          temporalUi: temporalUiLink(deps.config.temporalUiUrl, deps.config.temporalNamespace, ref.workflowId),
        });
        return result;
      });
      await announce(recorded.runId, 'run.failed');
      return recorded;
    },

    ...createWebhookActivities({ db: sql, secretBox: deps.secretBox, config: deps.config }),
  };
}

/** The activity interface the workflow proxies (types only). */
export type ImportActivities = ReturnType<typeof createActivities>;
