import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Db } from '@app/persistence';
import { closingEventOf, emitRunEvent, reconcileOpenRuns, sweepStaging, type ReconciledRun } from '@app/import';
import { TEMPORAL_CLIENT } from '@app/temporal';

/** Staging of crashed or expired runs is swept this often (it scans run ids, not rows). */
const STAGING_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Temporal is the one source of truth for "is this run in progress": this service closes run
 * rows whose workflow closed without its own clean-up (terminated, timed out, ...) — on a timer,
 * and on demand at GET /runs/:id, run-now and retry — and sweeps staging nobody can resume.
 */
@Injectable()
export class RunHousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('runs');
  private reconcileTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private pass?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly db: Db,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.runReconcileIntervalMs > 0) {
      this.reconcileTimer = setInterval(() => this.background(() => this.reconcile()), this.config.runReconcileIntervalMs);
      this.reconcileTimer.unref();
    }
    this.sweepTimer = setInterval(() => this.background(() => this.sweep()), STAGING_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    this.background(() => this.sweep());
  }

  /**
   * Before any onApplicationShutdown (the Temporal client closes its connection there): a pass
   * still calling Temporal when the connection closes would have its retry fail on a closed channel.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reconcileTimer);
    clearInterval(this.sweepTimer);
    await this.pass?.catch(() => undefined);
  }

  /** One pass at a time; a failing pass is logged and the next one tries again. */
  private background(work: () => Promise<unknown>): void {
    if (this.pass || this.stopped) return;
    this.pass = work()
      .catch((err: unknown) => this.logger.warn(`run housekeeping failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.pass = undefined));
  }

  /** Closes the open rows (of one task or run, or all) whose workflow Temporal reports closed. */
  async reconcile(filter: { taskId?: string; runId?: string } = {}): Promise<ReconciledRun[]> {
    const closed = await reconcileOpenRuns(this.db, this.client, this.config.temporalNamespace, filter);
    for (const c of closed) this.logger.warn(`run ${c.runId} is ${c.status} in Temporal without its own clean-up: ${c.reason}`);
    // terminated and timed-out runs are announced as run.failed (emitRunEvent never throws)
    for (const c of closed) {
      const type = closingEventOf(c.status);
      if (type) await emitRunEvent({ db: this.db, client: () => this.client, taskQueue: this.config.taskQueue, retryInitialMs: this.config.webhookRetryInitialMs, logger: this.logger }, c.runId, type);
    }
    return closed;
  }

  /** Removes staging that can no longer be resumed (docs/removals-and-retries.md, "Staging retention"). */
  async sweep(): Promise<string[]> {
    const released = await sweepStaging(this.db, this.config.stagingResumeWindowMs);
    if (released.length) this.logger.log(`staging of ${released.length} finished run(s) removed (beyond the resume window or not resumable)`);
    return released;
  }
}
