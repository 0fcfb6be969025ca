export { createActivities, type ImportActivities, type ImportDeps, type ImportLogger } from './create-activities';
export { toApplicationFailure } from './to-application-failure';
export { ImportConfigError, RunAlreadyInProgressError, NON_RETRYABLE_IMPORT_ERROR_TYPES } from './errors';
export { DEFAULT_TUNING, type ImportTuning } from './tuning';
export { decideMode, INCREMENTAL_OVERLAP_MS } from './prepare-run';
export { FILTER_FALLBACK_NOTE } from './extract';
export { failureText } from './record-failure';
export { secretRedactor, scimClientFactoryFor, type ScimClientFactory } from './scim-connection';
export type { TaskConfig, MappingSectionConfig, RunConfigSnapshot, MappingsType } from './task-config';
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
} from './preview-task';
export { listingRejectionMessage, duplicateUniqueMessage } from './record-messages';
export { reconcileOpenRuns, sweepStaging, temporalRunState, closeRunFromTemporal, releaseStaging, type ReconciledRun, type TemporalRunState } from './run-housekeeping';
export { Db, type Sql } from './db';
export { failClosedRedactor } from './fail-closed-redactor';
export { createActivityTelemetry, type ActivityTelemetry, type ActivityTelemetryDeps } from './activity-telemetry';
export { ImportMetrics, RUN_DURATION_BUCKETS_SECONDS, type RunOutcome, type TaskLabels } from './import-metrics';
export { pageLimitForHeap, memberLimitForHeap, workerMemory, PAGE_HEAP_MULTIPLIER, HEAP_RESERVE_BYTES } from './worker-memory';
export { GroupTooLargeError, WorkerCrashLoopError } from './errors';
