import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * A PostgreSQL of one test file's own, in a child process (test/import/support/dedicated-postgres.ts),
 * for tests that stop, restart or crash it: doing that to the suite's shared one would disturb every
 * other test file. Starting it again on the same data directory is a database restart.
 */
export class DedicatedPostgres {
  private child?: ChildProcess;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    private readonly database: string,
  ) {}

  /** Starts (or restarts) it; resolves with its URL once it accepts connections. */
  start(): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/import/support/dedicated-postgres.ts'), this.dataDir, String(this.port), this.database], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    return new Promise((resolveUrl, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const m = /ready (\S+)/.exec(d.toString());
        if (m) resolveUrl(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`PostgreSQL did not start (${code}): ${err}`)));
    });
  }

  /** A clean PostgreSQL shutdown (what a restart begins with); nothing when it is not running. */
  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  }
}
