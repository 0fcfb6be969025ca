/**
 * The real components the scenarios run against: embedded PostgreSQL, the Temporal dev server
 * (headless, in memory), and the API and worker started from dist/ as separate processes, the
 * way `npm run dev` starts them. Each start returns a stop; nothing here outlives the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../scripts/lib/embedded-postgres';
import { freePort } from '../scripts/lib/free-port';
import { ensureTemporalCli, startTemporalDevServer } from '../scripts/lib/temporal-dev-server';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags';
import { createDataSource, runMigrations, seedDefaultTargetStore } from '../libs/persistence/src';
import { logSlowStatementPlans } from './pg-metrics';
import { logStatementDurations } from './statement-times';

/** The project root: the nearest directory above this file with a package.json (works from dist/ and from sources). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * A private copy of dist/ under .data/bench-dist-<pid>/dist that the API, the worker and the
 * fetch-only thread run from: any `npm run build` (it starts with rm -rf dist) during a long
 * benchmark would otherwise pull files from under it. Modules still resolve from the project's
 * node_modules, which lies above the copy.
 */
export function snapshotBuild(root: string): { root: string; remove(): void } {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'apps', 'worker', 'src', 'main.js'))) {
    throw new Error(`${dist} has no build: run \`npm run build\` first (npm run bench does)`);
  }
  const copyRoot = join(root, '.data', `bench-dist-${process.pid}`);
  rmSync(copyRoot, { recursive: true, force: true });
  cpSync(dist, join(copyRoot, 'dist'), { recursive: true });
  return { root: copyRoot, remove: () => rmSync(copyRoot, { recursive: true, force: true }) };
}

export interface Stoppable {
  stop(): Promise<void>;
  /** synchronous last resort when the benchmark exits before stop() finished */
  kill(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface BenchPostgres extends Stoppable {
  url: string;
  dataDir: string;
  fast: boolean;
}

/**
 * A fresh cluster in .data/bench-pg-<pid>, removed on stop. `fast` turns fsync off like the
 * test suite does; the benchmark defaults to durable settings so commits cost what they cost.
 */
export async function startBenchPostgres(root: string, opts: { fast: boolean; log: WriteStream }): Promise<BenchPostgres> {
  const dataDir = join(root, '.data', `bench-pg-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freePort();
  const pg = await startEmbeddedPostgres({
    dataDir,
    port,
    database: 'scim_import_bench',
    persistent: false,
    fast: opts.fast,
    // raw chunks: a chunk may end mid-line, and the statement-time summary parses whole lines
    onLog: (chunk) => opts.log.write(chunk),
  });
  return {
    url: pg.url,
    dataDir,
    fast: opts.fast,
    stop: async () => {
      try {
        await pg.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    kill: () => {
      // the postmaster's pid heads postmaster.pid; SIGQUIT is PostgreSQL's immediate shutdown
      const pidFile = join(dataDir, 'postmaster.pid');
      if (!existsSync(pidFile)) return;
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 0) return;
      process.kill(pid, 'SIGQUIT');
      // no event loop at exit: wait (up to 3 s) by blocking, then remove the cluster
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let k = 0; k < 30 && isAlive(pid); k++) Atomics.wait(pause, 0, 0, 100);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The URL of another database of the same cluster. */
export function databaseUrlFor(clusterUrl: string, database: string): string {
  const u = new URL(clusterUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A new, empty database in the benchmark's cluster (dropped first if a previous attempt left it):
 * no tables, no statistics, as a first installation has. Returns its URL.
 */
export async function createFreshDatabase(clusterUrl: string, database: string): Promise<string> {
  const admin = new Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return databaseUrlFor(clusterUrl, database);
}

/** Drops a database, ending its sessions (a statement still running after its worker stopped, too). */
export async function dropDatabase(clusterUrl: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Migrates a database and seeds the default templates and folders, as an installation does;
 * with the diagnostic flags, makes PostgreSQL log slow plans / statement durations for it.
 */
export async function prepareDatabase(
  databaseUrl: string,
  opts: { explainSlowMs?: number; statementTimes: boolean },
  log: (line: string) => void,
): Promise<void> {
  const applied = await runMigrations(databaseUrl);
  log(`migrated (${applied.length} migrations); seeding templates and folders`);
  const ds = createDataSource(databaseUrl, { poolSize: 1 });
  await ds.initialize();
  try {
    await seedDefaultTargetStore(ds);
  } finally {
    await ds.destroy();
  }
  if (opts.explainSlowMs !== undefined || opts.statementTimes) {
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      if (opts.explainSlowMs !== undefined) await logSlowStatementPlans(admin, opts.explainSlowMs);
      if (opts.statementTimes) await logStatementDurations(admin);
    } finally {
      await admin.end();
    }
  }
}

export interface BenchTemporal extends Stoppable {
  address: string;
}

export async function startBenchTemporal(root: string, log: WriteStream): Promise<BenchTemporal> {
  const cliPath = ensureTemporalCli(root);
  const server = await startTemporalDevServer({
    cliPath,
    port: await freePort(),
    namespace: 'default',
    onLog: (line) => log.write(`${line}\n`),
  });
  return {
    address: server.address,
    stop: () => server.stop(),
    kill: () => {
      if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
    },
  };
}

export interface AppProcess extends Stoppable {
  name: string;
  child: ChildProcess;
  pid: number;
  /** rejects as soon as the process exits while it should be running */
  exited: Promise<never>;
}

export interface ImportApps {
  apiUrl: string;
  apiToken: string;
  api: AppProcess;
  worker: AppProcess;
}

/** Starts a dist/ entry point with its output going to <logDir>/<name>.log. */
function startApp(root: string, buildRoot: string, name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string, nodeArgs: string[], appArgs: string[] = []): AppProcess {
  const file = join(buildRoot, entry);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run \`npm run build\` first (npm run bench does)`);
  const log = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', file, ...appArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let stopping = false;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${join(logDir, `${name}.log`)}`));
    });
  });
  // a caller that never awaits `exited` must not see an unhandled rejection
  exited.catch(() => undefined);
  return {
    name,
    child,
    pid: child.pid as number,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) {
          log.end();
          return resolve();
        }
        // the worker drains in-flight activities on SIGTERM (and writes its --cpu-prof); a stuck one gets SIGKILL
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(timer);
          log.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Resolves when `pattern` appears in the process's output. */
function waitForOutput(app: AppProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanupListeners();
      reject(new Error(`${app.name} did not print ${pattern} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (pattern.test(seen)) {
        cleanupListeners();
        resolve();
      }
    };
    const cleanupListeners = () => {
      clearTimeout(timer);
      app.child.stdout?.off('data', onData);
      app.child.stderr?.off('data', onData);
    };
    app.child.stdout?.on('data', onData);
    app.child.stderr?.on('data', onData);
    app.exited.catch((err: unknown) => {
      cleanupListeners();
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

async function waitForHealth(app: AppProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null || app.child.signalCode !== null) await app.exited;
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${app.name} was not healthy at ${url} within ${timeoutMs / 1000} s (${last})`);
}

/**
 * Starts the API and the worker from dist/ with a fresh SECRET_KEY and API_TOKEN and a task
 * queue of their own, and waits until the API is healthy and the worker polls.
 */
export async function startImportApps(opts: {
  root: string;
  /** where dist/ is taken from (see snapshotBuild) */
  buildRoot: string;
  databaseUrl: string;
  temporalAddress: string;
  logDir: string;
  /** node flags for the worker besides the ones it always runs with (WORKER_NODE_FLAGS), e.g. --cpu-prof */
  workerNodeArgs: string[];
  /**
   * Set for a second pair of processes in the same benchmark (a shape scenario): their own task
   * queue, so that no workflow of an earlier pair reaches them, and `api-<suffix>.log` /
   * `worker-<suffix>.log`.
   */
  suffix?: string;
  register: (name: string, stop: () => Promise<void>, kill: () => void) => void;
}): Promise<ImportApps> {
  const apiPort = await freePort();
  const apiToken = `sit_bench_${randomBytes(24).toString('base64url')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    SECRET_KEY: randomBytes(32).toString('base64'),
    API_TOKEN: apiToken,
    API_PORT: String(apiPort),
    TASK_QUEUE: `bench-${process.pid}${opts.suffix ? `-${opts.suffix}` : ''}`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'log',
    // the worker's Prometheus endpoint on a free port: 9464 may belong to a running dev stack
    WORKER_METRICS_PORT: String(await freePort()),
    // the benchmark's SCIM source listens on loopback, which the outbound address rule refuses by default
    OUTBOUND_ALLOWED_NETWORKS: '127.0.0.0/8,::1',
  };
  mkdirSync(opts.logDir, { recursive: true });
  // as in production: a prebuilt workflow bundle (`npm run bench` builds it), so the worker's memory
  // is not inflated by bundling workflows at start-up
  const bundle = join(opts.buildRoot, 'dist', 'workflow-bundle.js');
  const workerArgs = existsSync(bundle) ? ['--workflow-bundle', bundle] : [];
  const named = (name: string) => (opts.suffix ? `${name}-${opts.suffix}` : name);
  const worker = startApp(opts.root, opts.buildRoot, named('worker'), 'dist/apps/worker/src/main.js', env, opts.logDir, [...WORKER_NODE_FLAGS, ...opts.workerNodeArgs], workerArgs);
  opts.register(named('worker'), () => worker.stop(), () => worker.kill());
  const api = startApp(opts.root, opts.buildRoot, named('api'), 'dist/apps/api/src/main.js', env, opts.logDir, []);
  opts.register(named('api'), () => api.stop(), () => api.kill());
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await Promise.all([waitForHealth(api, `${apiUrl}/health`, 120_000), waitForOutput(worker, /worker polling task queue/, 180_000)]);
  return {
    apiUrl,
    apiToken,
    api,
    worker,
  };
}
