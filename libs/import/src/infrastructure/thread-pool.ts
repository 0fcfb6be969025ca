import type { Worker } from 'node:worker_threads';

/** The thread doing a job died (it exited, threw outside the job, or ran out of memory) before answering. */
export class ThreadDiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThreadDiedError';
  }
}

/** The pool cannot run jobs: its threads could not be started (or it was closed). */
export class ThreadPoolUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThreadPoolUnavailableError';
  }
}

interface Job<J, A, P> {
  id: number;
  job: J;
  resolve(answer: A): void;
  reject(err: Error): void;
  onPart?: (part: P) => void;
}

interface Slot<J, A, P> {
  thread: Worker;
  /** the thread said it loaded its script */
  ready: boolean;
  job?: Job<J, A, P>;
  /** the thread's uncaught error, reported with its exit */
  error?: Error;
}

/** What a pool has done: threads started, jobs answered, threads that died with a job. */
export interface ThreadPoolStats {
  started: number;
  answered: number;
  died: number;
}

/**
 * Up to `size` worker threads running one script, each doing one job at a time; jobs wait in
 * order. The protocol: the thread posts `{ ready: true }` once its script loaded, then answers
 * each `{ id, job }` with `{ id, answer }`, after any number of `{ id, part }` (what the caller
 * can use before the job is done). Threads start with the first jobs and are reused; a
 * thread that dies with a job (exit, uncaught error, out of memory) fails that job with
 * ThreadDiedError and is replaced for the next one. A thread that fails before it is ready means
 * the script cannot run here: the pool is then unavailable, every job fails at once with
 * ThreadPoolUnavailableError and callers do the work themselves. Idle threads do not keep the
 * process alive.
 */
export class ThreadPool<J, A, P = never> {
  private readonly slots: Array<Slot<J, A, P>> = [];
  private readonly queue: Array<Job<J, A, P>> = [];
  private nextId = 1;
  private unavailable?: string;
  private readonly counts: ThreadPoolStats = { started: 0, answered: 0, died: 0 };
  /** called with the thread a job was just posted to (tests kill it there) */
  onDispatch?: (thread: Worker) => void;
  /** called once, when the pool becomes unavailable for another reason than close() */
  onUnavailable?: (reason: string) => void;

  constructor(
    readonly size: number,
    private readonly startThread: () => Worker,
  ) {}

  get stats(): ThreadPoolStats {
    return { ...this.counts };
  }

  /**
   * Runs `job` on a thread, handing its parts to `onPart` as they come; rejects with
   * ThreadDiedError or ThreadPoolUnavailableError when no thread answered it.
   */
  run(job: J, onPart?: (part: P) => void): Promise<A> {
    if (this.unavailable !== undefined) return Promise.reject(new ThreadPoolUnavailableError(this.unavailable));
    return new Promise<A>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject, onPart });
      this.pump();
    });
  }

  /** Ends every thread; waiting jobs fail. */
  async close(): Promise<void> {
    this.onUnavailable = undefined;
    this.disable('the thread pool was closed');
    await Promise.all(this.slots.splice(0).map((s) => s.thread.terminate().catch(() => undefined)));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.unavailable === undefined) {
      let slot = this.slots.find((s) => s.job === undefined);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.start();
        if (!slot) return;
      }
      const job = this.queue.shift() as Job<J, A, P>;
      slot.job = job;
      slot.thread.ref();
      // a message posted before the thread listens waits for it
      slot.thread.postMessage({ id: job.id, job: job.job });
      this.onDispatch?.(slot.thread);
    }
  }

  private start(): Slot<J, A, P> | undefined {
    let thread: Worker;
    try {
      thread = this.startThread();
    } catch (err) {
      this.disable(`worker threads cannot be started: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    this.counts.started += 1;
    const slot: Slot<J, A, P> = { thread, ready: false };
    this.slots.push(slot);
    thread.unref();
    thread.on('message', (message: { ready?: boolean; id?: number; part?: P; answer?: A }) => {
      if (message.ready) {
        slot.ready = true;
        return;
      }
      const job = slot.job;
      if (!job || message.id !== job.id) return;
      if ('part' in message) {
        try {
          job.onPart?.(message.part as P);
        } catch {
          // the caller's part handler must not take the pool down; the job's answer still comes
        }
        return;
      }
      slot.job = undefined;
      thread.unref();
      this.counts.answered += 1;
      job.resolve(message.answer as A);
      this.pump();
    });
    thread.on('messageerror', (err) => {
      const job = slot.job;
      slot.job = undefined;
      thread.unref();
      job?.reject(err);
      this.pump();
    });
    thread.on('error', (err) => {
      slot.error = err;
      if (!slot.ready) this.disable(`a worker thread failed to start: ${err.message}`);
    });
    thread.on('exit', (code) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        this.counts.died += 1;
        job.reject(new ThreadDiedError(`a worker thread died during its job (exit code ${code}${slot.error ? `: ${slot.error.message}` : ''})`));
      }
      this.pump();
    });
    return slot;
  }

  private disable(reason: string): void {
    if (this.unavailable === undefined) {
      this.unavailable = reason;
      this.onUnavailable?.(reason);
    }
    for (const job of this.queue.splice(0)) job.reject(new ThreadPoolUnavailableError(reason));
  }
}
