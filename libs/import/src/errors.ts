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

/** Failure types of this engine that retrying cannot fix (added to the SCIM ones by the workflow). */
export const NON_RETRYABLE_IMPORT_ERROR_TYPES = ['ImportConfigError', 'RunAlreadyInProgressError', 'SecretKeyMismatchError', 'StagingLostError'];
