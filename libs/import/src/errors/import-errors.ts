/**
 * Errors of the import engine itself. Like libs/scim, every class sets `name` from a literal:
 * Temporal matches retry policies on that name.
 */

/** The task, connector, template or folder is missing or inconsistent: an operator must fix it. */
export class ImportConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportConfigError';
  }
}

/** Another run of the same task is still running; this one must not overlap it. */
export class RunAlreadyInProgressError extends Error {
  constructor(
    readonly taskId: string,
    readonly otherWorkflowId: string,
  ) {
    super(`task ${taskId} already has a running run (workflow ${otherWorkflowId})`);
    this.name = 'RunAlreadyInProgressError';
  }
}

/**
 * The run's staged records are gone (PostgreSQL crash recovery or a restore empties the UNLOGGED
 * staging) or no longer match what was read. Retrying the step cannot bring them back: the
 * workflow reads the source again from the first extract (a bounded number of times).
 */
export class StagingLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StagingLostError';
  }
}

/**
 * A group has more members than this worker's heap can load (workerMemory().memberLimit): the same
 * group is as large on every retry, so the run fails once and says what to change.
 */
export class GroupTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GroupTooLargeError';
  }
}

/**
 * The worker process died twice during the same activity at the same position (out of memory, or
 * killed): a third attempt would most likely die the same way and take the worker's other work with it.
 */
export class WorkerCrashLoopError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashLoopError';
  }
}

/** Failure types of this engine that retrying cannot fix (added to the SCIM ones by the workflow). */
export const NON_RETRYABLE_IMPORT_ERROR_TYPES = [
  'ImportConfigError',
  'RunAlreadyInProgressError',
  'SecretKeyMismatchError',
  'StagingLostError',
  'GroupTooLargeError',
  'WorkerCrashLoopError',
];
