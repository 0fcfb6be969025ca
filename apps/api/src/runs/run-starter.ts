import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { RunRow } from '@app/persistence';
import { RunInProgressError, RunLauncher, RunNotStartedError, type RunStart } from '@app/temporal';
import { conflict, ProblemException } from '../common/problem';
import { isTemporalUnreachable } from '../common/temporal-unreachable';

/**
 * The API's answer when the launcher refuses a run: 409 while a run of the task is in progress,
 * 503 when Temporal did not accept the start (unreachable: the problem filter answers 503 with
 * Retry-After). Anything else goes on as it is.
 */
export function runRefusal(err: unknown, logger: Logger): unknown {
  if (err instanceof RunInProgressError) return conflict(`a run of this task is already in progress${err.holder ? ` (run ${err.holder.id})` : ''}`);
  if (err instanceof RunNotStartedError) {
    if (isTemporalUnreachable(err.temporalError)) return err.temporalError;
    logger.error(err.message);
    return new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, 'Temporal did not accept the run; nothing was started, try again shortly');
  }
  return err;
}

/** Starts the runs the API starts itself (run-now, restart) through the run launcher. */
@Injectable()
export class RunStarter {
  private readonly logger = new Logger('runs');

  constructor(private readonly launcher: RunLauncher) {}

  /** Inserts the run row and starts its workflow; 409 when the task already has a running run. */
  async start(run: RunStart): Promise<RunRow> {
    try {
      return await this.launcher.start(run);
    } catch (err) {
      throw runRefusal(err, this.logger);
    }
  }
}
