import type { RunAtWork, RunRepository } from '@app/persistence';
import { ImportConfigError } from '../errors/import-errors';
import type { RunConfigSnapshot } from './task-config';

/** The run as the import's steps work on it, its snapshot as prepareRun wrote it. */
export type PreparedRun = RunAtWork<RunConfigSnapshot>;

/**
 * The run `runId` for a step of the import; ImportConfigError when it does not exist or was not
 * prepared. The one place the stored snapshot gets its type.
 */
export async function preparedRun(runs: RunRepository, runId: string): Promise<PreparedRun> {
  const run = await runs.atWork<RunConfigSnapshot>(runId);
  if (!run) throw new ImportConfigError(`run ${runId} does not exist or was not prepared`);
  return run;
}
