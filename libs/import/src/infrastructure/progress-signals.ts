import type { RunProgressReport } from '@app/temporal';
import type { RunRepository } from '@app/persistence';
import { progressOfRun } from '../use-cases/run-progress';
import type { ImportLogger } from '../create-activities';

/** At most one progress signal per activity this often: each costs the workflow's history a few events. */
export const PROGRESS_SIGNAL_EVERY_MS = 10_000;

/** Sends a progress report to the workflow of the current activity. */
export type ProgressSend = (report: RunProgressReport) => Promise<void>;

export interface ProgressSignalDeps {
  runs: RunRepository;
  /** absent outside a worker (benchmarks, direct calls): nothing is sent */
  send?: ProgressSend;
  logger?: Pick<ImportLogger, 'debug'>;
  everyMs?: number;
  clock?: () => number;
}

/**
 * Signals the run's progress (the one GET /runs/:id shows, read from the database: counts only)
 * to the activity's own workflow, which shows it in the Temporal UI. Throttled to one per
 * `everyMs`, plus one asked for with `now()` (a resource's read ended). Never awaited by the
 * work and never throws: a report that cannot be read or sent is logged at debug and dropped,
 * and while one is on its way the next waits for it rather than piling up.
 */
export class ProgressSignals {
  private lastAt = Number.NEGATIVE_INFINITY;
  private sending = false;
  private again = false;

  constructor(
    private readonly deps: ProgressSignalDeps,
    private readonly runId: string,
  ) {}

  /** Sends one when the last is at least `everyMs` old. */
  tick(): void {
    const now = (this.deps.clock ?? Date.now)();
    if (now - this.lastAt < (this.deps.everyMs ?? PROGRESS_SIGNAL_EVERY_MS)) return;
    this.fire();
  }

  /** Sends one now (or right after the one on its way). */
  now(): void {
    this.fire();
  }

  private fire(): void {
    const { send } = this.deps;
    if (!send) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    this.lastAt = (this.deps.clock ?? Date.now)();
    void this.sendOne(send).finally(() => {
      this.sending = false;
      if (this.again) {
        this.again = false;
        this.fire();
      }
    });
  }

  private async sendOne(send: ProgressSend): Promise<void> {
    try {
      const { runs } = this.deps;
      const row = await runs.find(await runs.rowOf(this.runId));
      const report = row && (await progressOfRun(runs, row));
      if (report) await send(report);
    } catch (err) {
      this.deps.logger?.debug?.('run progress signal not sent', { runId: this.runId, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
