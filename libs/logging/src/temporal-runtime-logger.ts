import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { AppLogger, AppLogLevel } from './app-logger';

/** SDK levels onto ours; the SDK's INFO is worker life-cycle chatter, so it is debug here. */
const LEVELS: Record<TemporalLogLevel, AppLogLevel> = { TRACE: 'verbose', DEBUG: 'debug', INFO: 'debug', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal Runtime logger (worker, activity and workflow log lines of the SDK, and Core's
 * forwarded lines) written through the AppLogger. The SDK's activity attributes are renamed to
 * ours (workflowRunId, and a workflow line's runId → temporalRunId); the task token is dropped (it authorises completing the
 * activity). `Activity started` is left out: the SDK writes it before any interceptor has seen the
 * arguments, so it could not carry the run's ids; the import interceptor writes its own.
 */
export function temporalRuntimeLogger(logger: AppLogger): TemporalLogger {
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    const target = LEVELS[level] ?? 'log';
    if (!logger.isEnabled(target)) return;
    const { taskToken: _token, workflowRunId, sdkComponent, ...rest } = (meta ?? {}) as LogMetadata & { workflowRunId?: string; sdkComponent?: string };
    if (message === 'Activity started' && rest.activityType !== undefined) return;
    const fields: Record<string, unknown> = { ...rest };
    if (workflowRunId !== undefined) fields.temporalRunId = workflowRunId;
    // workflow lines name Temporal's run id `runId`; ours (the import run) is a different id
    else if (rest.workflowType !== undefined && rest.activityType === undefined && rest.runId !== undefined) {
      fields.temporalRunId = rest.runId;
      delete fields.runId;
    }
    logger.write(target, message, `temporal${sdkComponent ? `.${sdkComponent}` : ''}`, fields);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}
