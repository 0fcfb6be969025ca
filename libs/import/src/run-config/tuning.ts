/** Sizes and budgets of the import activities, each with its reason. */
export interface ImportTuning {
  /** staged rows mapped per chunk: big enough to amortise SQL round trips, small enough to heartbeat often */
  mapChunkSize: number;
  /** rows per load transaction: one batch is the unit of idempotence and of work lost to a crash */
  loadBatchSize: number;
  /** load batches written at once (own transaction and key range each): the database writes on more than one core */
  loadConcurrency: number;
  /** pause between load batches; 0 in production, lets tests and shared databases breathe */
  loadBatchPauseMs: number;
  /** a map activity returns after this long so a huge run never needs one endless attempt */
  mapTimeBudgetMs: number;
  /** concurrent GET /Groups/{id} calls when the listing omits members */
  memberFetchConcurrency: number;
  /** datacards marked removed per transaction: like a load batch, the unit of idempotence */
  removalBatchSize: number;
  /**
   * worker threads that parse, map and hash list pages (extract/page-threads.ts), so the event
   * loop only does HTTP and database work; 0 does it on the event loop. createActivities takes it
   * from the worker's configuration (WORKER_PAGE_THREADS) unless the tuning names it.
   */
  pageThreads: number;
}

export const DEFAULT_TUNING: ImportTuning = {
  mapChunkSize: 1000,
  loadBatchSize: 2500,
  loadConcurrency: 2,
  loadBatchPauseMs: 0,
  mapTimeBudgetMs: 10 * 60_000,
  memberFetchConcurrency: 4,
  removalBatchSize: 1000,
  pageThreads: 0,
};

/**
 * Mirrors WORKFLOW_RUN_TIMEOUT ('12h') of libs/temporal: the run timeout of an execution that
 * does work, the guard against hung runs. An execution that waits for a removal decision gets
 * the rest of the decision window on top (the workflow continues as new to wait).
 */
export const WORKFLOW_RUN_TIMEOUT_MS = 12 * 3_600_000;
