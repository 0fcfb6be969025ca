import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface WorkerProcessOptions {
  /** node's own flags first (e.g. WORKER_NODE_FLAGS), then `--import tsx` and the script with its arguments */
  nodeFlags?: readonly string[];
  /** the script and its arguments: apps/worker/src/main.ts, or workerChildArgs(…) */
  args: string[];
  /** added to this process's environment */
  env?: Record<string, string>;
  /** the output line that says the worker polls */
  ready: RegExp;
  /** every chunk the process writes (stdout and stderr), for a test that reads or checks its output */
  onOutput?: (text: string) => void;
  /** the same output, line by line */
  onLine?: (line: string) => void;
  /** the processes a file started, so afterAll can kill what is left */
  registry?: Set<ChildProcess>;
  /** how long the worker may take to poll (default 90 s) */
  readyTimeoutMs?: number;
}

/**
 * Starts a worker in a process of its own (from the repository root, through tsx) and resolves
 * once a line of its output matches `ready`; rejects with the end of its output if it exits first.
 */
export function spawnWorkerProcess(options: WorkerProcessOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', ...options.args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.registry?.add(child);
  child.once('exit', () => options.registry?.delete(child));
  let tail = '';
  let partial = '';
  return new Promise((ready, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after ${options.readyTimeoutMs ?? 90_000} ms: ${tail}`)), options.readyTimeoutMs ?? 90_000);
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onOutput?.(text);
      tail = (tail + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      if (options.onLine) lines.forEach(options.onLine);
      if (lines.some((line) => options.ready.test(line))) {
        clearTimeout(timer);
        ready(child);
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited early (${code ?? signal}): ${tail}`));
    });
  });
}

/**
 * Ends a worker process and resolves once it has exited: SIGKILL at once, or with `graceMs` a
 * SIGTERM first (the worker drains its activities) and SIGKILL when it has not exited by then.
 */
export async function endWorkerProcess(child: ChildProcess, graceMs?: number): Promise<void> {
  const running = () => child.exitCode === null && child.signalCode === null;
  if (!running()) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (graceMs !== undefined) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
  if (running()) child.kill('SIGKILL');
  await exited;
}
