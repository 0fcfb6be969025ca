import { RunLauncher, type FailureRef, type RunFailureInfo } from '@app/temporal';
import { RunRepository, TargetWriter, type Db } from '@app/persistence';
import type { RunConfigSnapshot, TaskConfig } from '../run-config/task-config';

const MAX_MESSAGE = 2000;

/** Text of a failure datacard: type, message, run id and time. */
export function failureText(error: RunFailureInfo, runId: string, at: Date): string {
  const message = error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE - 1)}…` : error.message;
  return `${error.type}: ${message} (run ${runId}, ${at.toISOString()})`;
}

/**
 * Marks the run failed and writes exactly one failure datacard per failed run (unique value =
 * id of the run row that shows the failure, so a retried recordFailure updates the same card;
 * a resumed run that fails again is a failed run of its own and gets its own card). A failure
 * before the run row existed gets a run row of its own. `redact` strips the connector's secrets.
 */
export async function recordFailure(
  db: Db,
  runs: RunRepository,
  ref: FailureRef,
  error: RunFailureInfo,
  redact: (text: string) => string,
): Promise<{ runId: string; failureDatacardId: string | null }> {
  const safe: RunFailureInfo = { type: error.type || 'Error', message: redact(error.message ?? '') };
  return db.transaction(async (tx) => {
    const inTx = new RunRepository(tx);
    const runId = await RunLauncher.rowOfFailure(tx, ref);
    // a resumed run fails on its own row (the activities still carry the root's id)
    const rowId = await inTx.rowOf(runId);
    const context = await inTx.failureContext(runId);
    const snapshot = context?.snapshot as Partial<RunConfigSnapshot> | null | undefined;
    const failure = snapshot?.config?.failure ?? (context?.taskConfig as TaskConfig | null | undefined)?.failure ?? null;
    let failureDatacardId: string | null = null;
    // a dry run promises to write nothing to the target: its failure shows on the run only
    if (failure && context && !context.dryRun) {
      failureDatacardId = await new TargetWriter(db).writeFailureCard(
        {
          templateCode: failure.templateCode,
          folderCode: failure.folderCode,
          uniqueValue: rowId,
          attributeCode: failure.attributeCode,
          text: failureText(safe, rowId, new Date()),
          taskId: context.taskId,
        },
        tx,
      );
    }
    await inTx.markFailed(rowId, safe);
    return { runId, rowId, failureDatacardId };
  }).then(async ({ runId, rowId, failureDatacardId }) => {
    await runs.recomputeStats(runId).catch(() => undefined);
    return { runId: rowId, failureDatacardId };
  });
}
