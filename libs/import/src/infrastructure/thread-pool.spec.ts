import { Worker } from 'node:worker_threads';
import { ThreadPool } from './thread-pool';

/** A thread that says it is ready, then runs `onJob` (JavaScript taking `job`, posting with `answer(value)`) for each job. */
function thread(onJob: string, options: ConstructorParameters<typeof Worker>[1] = {}) {
  return () =>
    new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', ({ id, job }) => { const answer = (value) => parentPort.postMessage({ id, answer: value }); ${onJob} });
       parentPort.postMessage({ ready: true });`,
      { ...options, eval: true },
    );
}

describe('ThreadPool', () => {
  const pools: Array<{ close(): Promise<void> }> = [];
  const poolOf = <J, A, P = never>(size: number, start: () => Worker) => {
    const pool = new ThreadPool<J, A, P>(size, start);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.close();
  });

  it('answers jobs in order on up to `size` reused threads', async () => {
    const pool = poolOf<number, number>(2, thread('setTimeout(() => answer(job * 2), 5)'));
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => pool.run(n)))).toEqual([2, 4, 6, 8, 10]);
    expect(await pool.run(6)).toBe(12);
    expect(pool.stats).toEqual({ started: 2, answered: 6, died: 0 });
  });

  it('hands the parts of a job to the caller before its answer', async () => {
    const pool = poolOf<number, string, number>(1, thread('parentPort.postMessage({ id, part: job }); parentPort.postMessage({ id, part: job + 1 }); answer(`done ${job}`)'));
    const parts: number[] = [];
    expect(await pool.run(1, (p) => parts.push(p))).toBe('done 1');
    expect(parts).toEqual([1, 2]);
  });

  it.each([
    ['exits', 'process.exit(3)', /exit code 3/],
    ['throws outside the job', "setTimeout(() => { throw new Error('boom in the thread') }, 0)", /boom in the thread/],
    ['runs out of memory', 'const kept = []; for (;;) kept.push(new Array(1e5).fill(job))', /exit code|memory/i],
  ])('fails the job of a thread that %s, and answers the next on a fresh thread', async (_what, fatal, message) => {
    const pool = poolOf<string, string>(1, thread(`if (job === 'fatal') { ${fatal} } else answer(job)`, { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } }));
    expect(await pool.run('first')).toBe('first');
    const dying = pool.run('fatal');
    // queued behind the page that kills the thread
    const waiting = pool.run('after');
    await expect(dying).rejects.toMatchObject({ name: 'ThreadDiedError', message });
    expect(await waiting).toBe('after');
    expect(await pool.run('next')).toBe('next');
    expect(pool.stats).toMatchObject({ died: 1 });
  });

  it('is unavailable when a thread cannot load its script, and when closed', async () => {
    const broken = poolOf<number, number>(1, () => new Worker(`throw new Error('cannot load')`, { eval: true }));
    await expect(broken.run(1)).rejects.toThrow();
    await expect(broken.run(2)).rejects.toMatchObject({ name: 'ThreadPoolUnavailableError', message: expect.stringMatching(/cannot load/) });
    const pool = poolOf<number, number>(1, thread('answer(job)'));
    expect(await pool.run(1)).toBe(1);
    await pool.close();
    await expect(pool.run(2)).rejects.toMatchObject({ name: 'ThreadPoolUnavailableError' });
  });
});
