/**
 * Types shared by workflows, activities and the API. Workflows import these with `import type`
 * only, so this file must stay free of runtime code.
 */
export type RunMode = 'full' | 'incremental';
export type RunTrigger = 'schedule' | 'manual' | 'retry';
export type ResourceKind = 'identity' | 'access' | 'generic';

/** Input of the importTask workflow; never contains secrets or records. */
export interface ImportTaskInput {
  taskId: string;
  /** absent on scheduled runs; set by run-now and retries through a pending request */
  trigger?: RunTrigger;
  mode?: RunMode;
  retryOf?: string;
  /** a dry run: extract, map, diff and removal candidates, then outcomes recorded instead of loaded */
  dryRun?: boolean;
  /**
   * How long removals above the safety threshold wait for approveRemovals / rejectRemovals
   * before they expire (nothing removed). Default 72 h; a caller starting a run by hand (or a
   * test) may shorten it. Carried across continue-as-new.
   */
  removalDecisionTimeoutMs?: number;
  /** carried across continue-as-new */
  state?: ImportTaskContinuation;
}

/** A step of a run; extract steps name the index of their resource in the plan. */
export type RunStepName = 'extract' | 'map' | 'diff' | 'load' | 'reconcile' | 'finish';
export interface RunStepRef {
  name: RunStepName;
  /** extract only: index into `plan.resources` */
  resource?: number;
}

export interface ImportTaskContinuation {
  runId: string;
  plan: RunPlan;
  /**
   * The step the next execution starts with, by name: a deploy that inserts or reorders steps
   * still resumes at the same step. Absent in continuations written before it existed.
   */
  resumeAt?: RunStepRef;
  /**
   * Index of the same step in the step list, kept for workers of the previous version (a
   * rollback) which read only this. New code reads `resumeAt` first.
   */
  nextStep: number;
  /** how many times the run already read its source again after its staging was lost */
  stagingRedos?: number;
  /**
   * Set when the run continued as new to wait for a removal decision (epoch ms of the decision
   * deadline): the new execution waits without computing the removals again.
   */
  awaitingDecisionUntil?: number;
}

export interface ResourcePlan {
  kind: ResourceKind;
  /** SCIM resource path, e.g. /Users */
  path: string;
}

export interface RunPlan {
  runId: string;
  taskId: string;
  mode: RunMode;
  resources: ResourcePlan[];
  /** true when the run should end with removal reconciliation */
  reconcile: boolean;
  /** a dry run: the workflow records would-be outcomes (recordDryRun) instead of loading */
  dryRun?: boolean;
}

export interface RunStatsView {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: number;
}

/** Result of the workflow's `progress` query. */
export interface RunProgress {
  runId?: string;
  phase: string;
  stats: RunStatsView;
}

/** How far the read of one resource of a running run has come (GET /runs/:id `progress.resources[]`). */
export interface ResourceProgressReport {
  resource: ResourceKind;
  path: string;
  /** distinct records read so far */
  read: number;
  /** records the read should come to; null when neither the source nor an earlier run says */
  expected: number | null;
  /** the listing's totalResults, or the task's last complete full read */
  expectedFrom: 'totalResults' | 'lastRun' | null;
  /** records per second since the read began; null before anything was read */
  perSecond: number | null;
  /** seconds left at that rate; 0 once the read is done; null when unknown */
  etaSeconds: number | null;
  done: boolean;
}

/**
 * A running run's progress: what GET /runs/:id shows as `progress`, and what the extract and load
 * activities signal to their workflow for the Temporal UI (`runProgressSignal`). Counts only.
 */
export interface RunProgressReport {
  resources: ResourceProgressReport[];
  /** records written out of those diff decided to write; null before the load step */
  load: { written: number; total: number } | null;
}

// ---- import activities (libs/import): references and counts only, never records or secrets ----

/** Where the workflow was when prepareRun ran: lets the run row point at its Temporal execution. */
export interface RunExecutionRef {
  workflowId: string;
  temporalRunId: string;
}

/** Result of `extract(runId, resource)`. */
export interface ExtractResult {
  resource: ResourceKind;
  /** distinct records staged for this resource */
  fetched: number;
  pages: number;
  /** the listing proved it saw the whole set (libs/scim completeness report) */
  complete: boolean;
  /** an incremental read that had to read everything */
  fullReadFallback: boolean;
  stats: RunStatsView;
}

/** Input/result of `map(runId, cursor)`: map works in chunks and may stop early on a time budget. */
export interface MapCursor {
  afterKey?: { resource: string; sourceId: string };
}

export interface MapResult extends MapCursor {
  done: boolean;
  mapped: number;
  failed: number;
  stats: RunStatsView;
}

export interface DiffResult {
  create: number;
  update: number;
  unchanged: number;
  failed: number;
  stats: RunStatsView;
}

export interface LoadResult {
  batches: number;
  created: number;
  updated: number;
  unchanged: number;
  stats: RunStatsView;
}

/** Where a run's removal reconciliation stands (`removal.state` in GET /runs/:id). */
/** The decision on removals above the safety threshold (the `decideRemovals` update). */
export type RemovalDecision = 'approve' | 'reject';
/** What the `decideRemovals` update answers: the decision the run goes on with. */
export interface RemovalDecisionAnswer {
  decision: RemovalDecision;
}

export type RemovalStateName = 'skipped' | 'awaitingApproval' | 'applying' | 'applied' | 'rejected' | 'expired' | 'cancelled' | 'dryRun';

/** Per mapping kind. */
export type PerKind = Record<ResourceKind, number>;

/**
 * `run.removal` as stored and shown by GET /runs/:id (docs/removals-and-retries.md). Counts
 * only: the candidate datacards themselves are in the removal_candidate table.
 */
export interface RunRemovalState {
  state: RemovalStateName;
  /** why nothing was (or not everything was) removed, or why approval is needed */
  reason?: string;
  /** datacards the run found unseen by every owner, per mapping */
  candidates?: PerKind;
  total?: number;
  threshold?: { maxRemovalPercent: number; maxRemovals?: number; active: PerKind; exceeded: boolean };
  computedAt?: string;
  /** awaitingApproval only: when the pending removals expire (nothing removed) */
  decisionDeadline?: string;
  /** how the set was cleared for removal, or why not */
  decision?: 'withinThreshold' | 'approved' | 'rejected' | 'expired';
  decidedAt?: string;
  /** datacards marked removed so far */
  removed?: number;
  /** candidates another owner saw between computation and application (not removed) */
  seenSinceComputed?: number;
}

/** Options of `reconcileRemovals(runId, options)`. */
export interface ReconcileOptions {
  /** how long the workflow will wait for a decision (for the stored decisionDeadline) */
  decisionTimeoutMs: number;
}

/** Result of `reconcileRemovals(runId)`: the computed state and what the workflow does next. */
export interface ReconcileResult {
  state: RemovalStateName;
  next: 'apply' | 'awaitDecision' | 'none';
  skipped: boolean;
  reason?: string;
  /** size of the computed candidate set */
  candidates?: number;
  removed?: number;
  stats?: RunStatsView;
}

/** Result of `applyRemovals` and `declineRemovals`. */
export interface RemovalOutcome {
  state: RemovalStateName;
  removed: number;
  stats: RunStatsView;
}

export interface FinishResult {
  status: 'succeeded';
  stats: RunStatsView;
}

/** What the workflow knows about a failure; message is already free of secrets. */
export interface RunFailureInfo {
  type: string;
  message: string;
}

/** Identifies the run a failure belongs to, even when prepareRun never created it. */
export interface FailureRef {
  runId?: string;
  taskId: string;
  workflowId: string;
  temporalRunId?: string;
  trigger?: RunTrigger;
}

// ---- webhook deliveries (workflows/deliver-webhook.workflow.ts): ids and numbers only ----

/** How a failed webhook delivery is tried again: the workflow's retry policy and what the activity records as the next attempt. */
export interface WebhookRetrySchedule {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** the whole delivery, every attempt and wait included, ends after this long */
  scheduleToCloseMs: number;
}

/** Input of the deliverWebhook workflow and of its one activity. */
export interface WebhookDeliveryInput {
  deliveryId: string;
  retry: WebhookRetrySchedule;
}

/** What the deliverWebhook activity answers. */
export interface WebhookDeliveryResult {
  status: 'succeeded' | 'skipped';
  statusCode?: number;
}
