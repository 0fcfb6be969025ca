/**
 * Shows that a listing's memory is bounded by the page size, not by the number of records:
 * starts the demo SCIM server with N users in a child process (so its data is not on this heap),
 * lists every user, samples heapUsed after every page and prints min/max/final.
 *
 *   npx tsx libs/scim/bench/stream-heap.ts --users 100000 [--page-size 200] [--tracker count|set]
 *
 * `--tracker count` (default) counts ids without storing them, isolating the client's own memory;
 * `--tracker set` uses the default in-memory Set, whose growth (~tens of bytes per id) then shows too.
 * Run with `node --expose-gc --import tsx …` to sample after a forced GC for steadier numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { InMemoryIdTracker, ScimClient, type IdTracker } from '../src';

interface BenchArgs {
  users: number;
  pageSize: number;
  tracker: 'count' | 'set';
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { users: 100_000, pageSize: 200, tracker: 'count' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = inline ?? argv[++i];
    if (flag === '--users') args.users = Number(value);
    else if (flag === '--page-size') args.pageSize = Number(value);
    else if (flag === '--tracker' && (value === 'count' || value === 'set')) args.tracker = value;
    else throw new Error(`unknown or invalid argument ${argv[i]}; usage: --users N --page-size N --tracker count|set`);
  }
  if (!Number.isInteger(args.users) || args.users < 1) throw new Error('--users expects a positive integer');
  if (!Number.isInteger(args.pageSize) || args.pageSize < 1) throw new Error('--page-size expects a positive integer');
  return args;
}

/** Counts ids without keeping them: valid only because the demo server never repeats an id. */
class CountingTracker implements IdTracker {
  private count = 0;
  add(ids: string[]): Promise<number> {
    this.count += ids.length;
    return Promise.resolve(ids.length);
  }
  size(): Promise<number> {
    return Promise.resolve(this.count);
  }
}

const ROOT = resolve(__dirname, '..', '..', '..');
const USERNAME = 'bench';
const PASSWORD = 'bench-password';

/** Starts the demo server CLI and resolves with its base URL once it prints it. */
function startDemo(users: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    resolve(ROOT, 'node_modules', '.bin', 'tsx'),
    [
      resolve(ROOT, 'apps', 'scim-demo', 'src', 'main.ts'),
      '--port',
      '0',
      '--users',
      String(users),
      '--groups',
      '10',
      '--devices',
      '0',
      '--username',
      USERNAME,
      '--password',
      PASSWORD,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`demo server exited early (code ${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening at (\S+)/.exec(out);
      if (match) resolvePromise({ url: match[1], child });
    });
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function heapNow(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seedStarted = Date.now();
  const { url, child } = await startDemo(args.users);
  process.stdout.write(`demo server with ${args.users} users at ${url} (ready in ${Date.now() - seedStarted} ms)\n`);

  const client = new ScimClient(
    { baseUrl: url, auth: { type: 'basic', username: USERNAME, password: PASSWORD }, pageSize: args.pageSize },
    { maxAttemptsPerRequest: 3 },
  );
  const tracker = args.tracker === 'set' ? new InMemoryIdTracker() : new CountingTracker();
  const samples: number[] = [];
  const baseline = heapNow();
  const started = Date.now();
  let records = 0;
  try {
    const listing = client.listResources('/Users', { idTracker: tracker, tailCheck: false });
    for await (const page of listing.pages()) {
      records += page.resources.length;
      samples.push(heapNow());
    }
    const elapsed = Date.now() - started;
    const report = listing.report();
    const min = Math.min(...samples);
    const max = Math.max(...samples);
    const final = samples[samples.length - 1];
    const lines = [
      `listed ${records} users in ${report.pages} pages of ${args.pageSize} in ${elapsed} ms (${Math.round((records / elapsed) * 1000)}/s)`,
      `complete: ${report.complete} (${report.reason})`,
      `tracker: ${args.tracker}${(globalThis as { gc?: unknown }).gc ? ', heap sampled after forced GC' : ', no forced GC (run with --expose-gc for steadier samples)'}`,
      `heapUsed before listing: ${mb(baseline)}`,
      `heapUsed per page: min ${mb(min)}, max ${mb(max)}, final ${mb(final)}`,
      `growth over the listing (final - first page): ${mb(final - samples[0])}; spread (max - min): ${mb(max - min)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await client.close();
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
