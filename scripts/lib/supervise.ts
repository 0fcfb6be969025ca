import type { ChildProcess } from 'node:child_process';

export interface SuperviseOptions {
  /** shown in log lines */
  name: string;
  /** starts one instance of the child */
  spawn: () => ChildProcess;
  log: (line: string) => void;
  /** first restart delay; doubles while the child keeps dying young */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** a child that ran at least this long counts as healthy: the next restart is quick again */
  healthyAfterMs?: number;
  /** how long stop() waits after SIGTERM before SIGKILL */
  killAfterMs?: number;
  /** told about every start (tests; a launcher may show the pid) */
  onStart?: (child: ChildProcess) => void;
}

export interface Supervisor {
  /** the running child, if any (none while a restart waits) */
  current(): ChildProcess | undefined;
  /** restarts so far */
  restarts(): number;
  /** stops the child (SIGTERM, then SIGKILL) and restarts no more */
  stop(): Promise<void>;
  /** restarts no more, but leaves a running child alone (a launcher that is about to stop it later) */
  noMoreRestarts(): void;
}

/**
 * Keeps a child process running: when it exits without stop() having been called, it is started
 * again after a delay that doubles while it keeps dying soon after its start (a crash loop then
 * costs a start every maxDelayMs, not a busy spin), and every exit is logged.
 */
export function supervise(opts: SuperviseOptions): Supervisor {
  const initial = opts.initialDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 30_000;
  const healthyAfter = opts.healthyAfterMs ?? 30_000;
  let delay = initial;
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let restarts = 0;

  const start = () => {
    timer = undefined;
    if (stopping) return;
    const startedAt = Date.now();
    const c = opts.spawn();
    child = c;
    opts.onStart?.(c);
    let ended = false;
    const onEnd = (why: string) => {
      if (ended) return;
      ended = true;
      if (child === c) child = undefined;
      if (stopping) return;
      if (Date.now() - startedAt >= healthyAfter) delay = initial;
      const wait = delay;
      delay = Math.min(delay * 2, max);
      restarts += 1;
      opts.log(`${opts.name} ${why}; restarting in ${wait < 1000 ? `${wait} ms` : `${(wait / 1000).toFixed(1)} s`}`);
      timer = setTimeout(start, wait);
    };
    c.once('exit', (code, signal) => onEnd(`exited (${signal ?? `code ${code}`})`));
    // a child that cannot be spawned at all reports only 'error'
    c.once('error', (err) => {
      if (c.pid === undefined) onEnd(`could not start (${err.message})`);
    });
  };
  start();

  return {
    current: () => child,
    restarts: () => restarts,
    noMoreRestarts() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((done) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), opts.killAfterMs ?? 15_000);
        c.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        c.kill('SIGTERM');
      });
    },
  };
}
