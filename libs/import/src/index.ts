export { createActivities, type ImportActivities, type ImportDeps, type ImportLogger } from './create-activities';
export { toApplicationFailure } from './errors/to-application-failure';
export { ImportConfigError, RunAlreadyInProgressError, NON_RETRYABLE_IMPORT_ERROR_TYPES } from './errors/import-errors';
export { DEFAULT_TUNING, type ImportTuning } from './run-config/tuning';
export { decideMode, INCREMENTAL_OVERLAP_MS } from './prepare/prepare-run';
export { FILTER_FALLBACK_NOTE } from './extract/extract';
export { failureText } from './finish/record-failure';
export { secretRedactor, scimClientFactoryFor, type ScimClientFactory } from './extract/scim-connection';
export type { TaskConfig, MappingSectionConfig, RunConfigSnapshot, MappingsType } from './run-config/task-config';
export {
  previewTask,
  PreviewSourceError,
  DEFAULT_PREVIEW_LIMIT,
  MAX_PREVIEW_LIMIT,
  type AttributeSource,
  type PreviewAction,
  type PreviewChange,
  type PreviewCounts,
  type PreviewRecord,
  type PreviewRequest,
  type PreviewResource,
  type PreviewResult,
} from './use-cases/preview-task';
export { listingRejectionMessage, duplicateUniqueMessage } from './extract/record-messages';
export { reconcileOpenRuns, sweepStaging, temporalRunState, closeRunFromTemporal, releaseStaging, type ReconciledRun, type TemporalRunState } from './use-cases/run-housekeeping';
export { failClosedRedactor } from './infrastructure/fail-closed-redactor';
export { createActivityTelemetry, type ActivityTelemetry, type ActivityTelemetryDeps } from './infrastructure/activity-telemetry';
export { ImportMetrics, RUN_DURATION_BUCKETS_SECONDS, type RunOutcome, type TaskLabels } from './infrastructure/import-metrics';
export { pageLimitForHeap, memberLimitForHeap, workerMemory, PAGE_HEAP_MULTIPLIER, HEAP_RESERVE_BYTES } from './infrastructure/worker-memory';
export { GroupTooLargeError, WorkerCrashLoopError } from './errors/import-errors';
export { closePageThreads, pageThreads, type PageThreads } from './extract/page-threads';
export { progressOfRun, runProgress, readRate, etaSeconds, expectedOf, type RunForProgress } from './use-cases/run-progress';
export { emitRunEvent, startDeliveries, type RunEventDeps } from './run-events/emit-run-event';
export { sweepWebhookDeliveries, type WebhookSweepResult } from './run-events/webhook-sweep';
export { createWebhookActivities, type WebhookActivities } from './run-events/webhook-activities';
export { runEventPayload, closingEventOf, type RunEventPayload, type RunEventData } from './run-events/run-event-payload';
export { WEBHOOK_POST_TIMEOUT_MS, type SealedWebhookSecret } from './run-events/deliver-webhook';
