/**
 * The dev launcher's supervision with real child processes: a killed child is started again (with
 * a log line), a crash loop backs off instead of spinning, and stop() leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { supervise, type Supervisor } from './supervise';

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exited = (child: ChildProcess) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));

let supervisor: Supervisor | undefined;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
});

it('starts a child again after it was killed, says so, and stop() leaves nothing behind', async () => {
  const lines: string[] = [];
  const started: ChildProcess[] = [];
  supervisor = supervise({
    name: 'worker',
    spawn: () => spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' }),
    log: (l) => lines.push(l),
    initialDelayMs: 50,
    onStart: (c) => started.push(c),
  });
  const first = await until(() => (started[0]?.pid ? started[0] : undefined));
  first.kill('SIGKILL');
  await exited(first);
  const second = await until(() => (started[1]?.pid ? started[1] : undefined));
  expect(second.pid).not.toBe(first.pid);
  expect(alive(second.pid)).toBe(true);
  expect(lines).toEqual(['worker exited (SIGKILL); restarting in 50 ms']);
  expect(supervisor.restarts()).toBe(1);

  await supervisor.stop();
  expect(alive(second.pid)).toBe(false);
  expect(supervisor.current()).toBeUndefined();
  // no restart is pending either
  await new Promise((r) => setTimeout(r, 200));
  expect(started).toHaveLength(2);
});

it('backs off while a child keeps dying right after its start, and starts quickly again after a healthy run', async () => {
  const lines: string[] = [];
  let crash = true;
  supervisor = supervise({
    name: 'api',
    spawn: () => spawn(process.execPath, ['-e', crash ? 'process.exit(3)' : 'setTimeout(() => process.exit(4), 3500)'], { stdio: 'ignore' }),
    log: (l) => lines.push(l),
    initialDelayMs: 20,
    maxDelayMs: 80,
    healthyAfterMs: 3000,
  });
  await until(() => (lines.length >= 4 ? true : undefined));
  expect(lines.slice(0, 4)).toEqual([
    'api exited (code 3); restarting in 20 ms',
    'api exited (code 3); restarting in 40 ms',
    'api exited (code 3); restarting in 80 ms',
    'api exited (code 3); restarting in 80 ms',
  ]);
  crash = false;
  const n = lines.length;
  // the next start runs 3.5 s (healthy): its exit restarts after the initial delay again
  await until(() => (lines.slice(n).some((l) => l.includes('code 4')) ? true : undefined));
  expect(lines.slice(n).find((l) => l.includes('code 4'))).toBe('api exited (code 4); restarting in 20 ms');
});

it('a child that cannot be spawned is retried with a log line, not a crash of the launcher', async () => {
  const lines: string[] = [];
  supervisor = supervise({
    name: 'worker',
    spawn: () => spawn('/nonexistent/node-binary', [], { stdio: 'ignore' }),
    log: (l) => lines.push(l),
    initialDelayMs: 20,
  });
  await until(() => (lines.length >= 2 ? true : undefined));
  expect(lines[0]).toMatch(/^worker could not start \(spawn \/nonexistent\/node-binary ENOENT\); restarting in 20 ms$/);
});
